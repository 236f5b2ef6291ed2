// Upload page (media/templates/media/upload.html): a resumable tus upload (tus-js-client), then the
// transcode, with one progress bar through both. After a dropped connection the client retries by itself;
// after a reload, choosing the same file again resumes where it stopped (tus-js-client keeps its URL in
// localStorage), and a transcode already under way is shown again.
(function () {
  "use strict";
  var root = document.querySelector("[data-upload]");
  if (!root || !window.tus) { return; }
  var ASSET_KEY = "qiuxue.upload.asset";
  var form = root.querySelector(".upload-form");
  var fileInput = form.querySelector("input[type=file]");
  var pause = root.querySelector(".upload-pause");
  var box = root.querySelector(".upload-progress");
  var phase = root.querySelector(".upload-phase");
  var bar = root.querySelector(".upload-bar");
  var detail = root.querySelector(".upload-detail");
  var done = root.querySelector(".upload-done");
  var link = root.querySelector(".upload-link");
  var errorBox = root.querySelector(".upload-error");
  var texts = root.querySelector(".upload-texts").dataset;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var api = root.getAttribute("data-api");
  var upload = null;
  var paused = false;

  function remember(value) { try { if (value) { localStorage.setItem(ASSET_KEY, value); } else { localStorage.removeItem(ASSET_KEY); } } catch (e) { /* private mode */ } }
  function recall() { try { return localStorage.getItem(ASSET_KEY); } catch (e) { return null; } }
  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function show(title, percent, text) {
    box.hidden = false;
    errorBox.hidden = true;
    phase.textContent = title;
    bar.value = Math.max(0, Math.min(100, percent));
    detail.textContent = text || "";
  }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    pause.hidden = true;
  }

  function errorMessage(text, fallback) {
    try { return JSON.parse(text).error.message || fallback; } catch (e) { return fallback; }
  }

  function poll(assetId) {
    fetch(api + "/" + assetId, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
      .then(function (pair) {
        var response = pair[0], body = pair[1];
        if (!response.ok) { remember(null); fail((body.error && body.error.message) || texts.failed); return; }
        if (body.status === "ready") {
          remember(null);
          show(texts.ready, 100, "");
          link.href = body.page;
          done.hidden = false;
        } else if (body.status === "failed" || body.status === "cancelled") {
          remember(null);
          fail((body.error && body.error.message) || texts[body.status]);
        } else {
          show(body.status === "queued" ? texts.queued : texts.transcoding, body.progress,
               Math.round(body.progress) + "%");
          window.setTimeout(function () { poll(assetId); }, 2000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(assetId); }, 5000); });
  }

  function createAsset(uploadUrl, lessonId) {
    show(texts.checking, 0, "");
    fetch(api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ upload_url: uploadUrl, lesson_id: lessonId || null })
    }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) { fail(errorMessage(text, texts.failed)); return; }
        var body = JSON.parse(text);
        remember(String(body.id));
        poll(body.id);
      });
    }).catch(function () { fail(texts.network); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files && fileInput.files[0];
    if (!file) { fail(texts.choose); return; }
    if (file.size > parseInt(root.getAttribute("data-max"), 10)) { fail(texts.tooBig); return; }
    var lessonId = form.elements.lesson_id ? form.elements.lesson_id.value : "";
    var org = form.elements.org ? form.elements.org.value : "";
    done.hidden = true;
    upload = new window.tus.Upload(file, {
      endpoint: root.getAttribute("data-endpoint"),
      chunkSize: 8 * 1024 * 1024,  // a dropped connection costs at most one chunk
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      metadata: { filename: file.name, filetype: file.type, org: org },
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (err) {
        var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (!status) { detail.textContent = texts.network; }
        return !status || status === 409 || status === 423 || status === 429 || status >= 500;
      },
      onError: function (err) {
        var response = err.originalResponse;
        fail(response ? errorMessage(response.getBody(), texts.failed) : texts.network);
      },
      onProgress: function (sent, total) {
        show(texts.uploading, total ? sent / total * 100 : 0, mb(sent) + " / " + mb(total));
      },
      onSuccess: function () {
        pause.hidden = true;
        createAsset(upload.url, lessonId);
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        detail.textContent = texts.resumed;
      }
      paused = false;
      pause.textContent = texts.pause;
      pause.hidden = false;
      upload.start();
    });
  });

  pause.addEventListener("click", function () {
    if (!upload) { return; }
    paused = !paused;
    if (paused) { upload.abort(); detail.textContent = texts.paused; } else { upload.start(); }
    pause.textContent = paused ? texts.resume : texts.pause;
  });

  var pending = recall();
  if (pending) { poll(pending); }
})();
