// Lesson player (media/templates/media/player.html). Nothing is downloaded before the learner presses play:
// not the video, and not hls.js either (600 KB, fetched on the first play only where Media Source Extensions
// exist; elsewhere, as on older iPhones, the browser plays HLS itself). Quality: 自动 (the whole ladder),
// 省流量 (240p), 仅音频; each button shows what the whole lesson costs in data: the playlists and segments of
// that choice (media/player.py), plus hls.js as it comes over the wire until this phone has it. Quality and speed
// are remembered on this device (localStorage), and so is the hls.js this phone already holds.
(function () {
  "use strict";
  var MODE_KEY = "qiuxue.player.mode";
  var SPEED_KEY = "qiuxue.player.speed";
  var HLS_KEY = "qiuxue.player.hls";  // the (fingerprinted) hls.js URL this phone has loaded, so holds in cache
  var hlsScript = null;

  function remember(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function recall(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function press(list, active) { each(list, function (b) { b.setAttribute("aria-pressed", b === active ? "true" : "false"); }); }

  function loadHlsJs(url) {
    if (window.Hls) { return Promise.resolve(); }
    if (!hlsScript) {
      hlsScript = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = function () { remember(HLS_KEY, url); resolve(); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return hlsScript;
  }

  function human(size) {  // as media.tus.human_size
    var units = ["B", "KB", "MB", "GB"], value = size, i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; i += 1; }
    return i === 0 ? Math.round(value) + " B" : value.toFixed(1) + " " + units[i];
  }

  function setup(root) {
    var video = root.querySelector("video");
    var screen = root.querySelector(".player-screen");
    var start = root.querySelector(".player-start");
    var modes = root.querySelectorAll(".player-mode");
    var speeds = root.querySelectorAll(".player-speed");
    var status = root.querySelector(".player-status");
    var nativeHls = !!video.canPlayType("application/vnd.apple.mpegurl");
    var mse = !!(window.MediaSource || window.ManagedMediaSource);
    var speed = parseFloat(recall(SPEED_KEY)) || 1;
    // Only a speed a button offers (the server credits nothing faster than the fastest one).
    if (!Array.prototype.some.call(speeds, function (b) { return parseFloat(b.getAttribute("data-speed")) === speed; })) { speed = 1; }
    var current = root.querySelector('.player-mode[data-mode="' + (recall(MODE_KEY) || "auto") + '"]') || modes[0];
    var hls = null;
    var started = false;

    // What pressing play will cost: the choice's own bytes, and hls.js while this phone does not have it yet.
    function showCosts() {
      var hlsUrl = root.getAttribute("data-hls");
      var extra = mse && recall(HLS_KEY) !== hlsUrl ? parseInt(root.getAttribute("data-hls-bytes"), 10) || 0 : 0;
      each(modes, function (button) {
        var bytes = parseInt(button.getAttribute("data-bytes"), 10), small = button.querySelector("small");
        if (bytes && small && button.getAttribute("data-size")) {
          small.textContent = button.getAttribute("data-size").replace("{size}", human(bytes + extra));
        }
      });
    }

    function applySpeed() { if (video.playbackRate !== speed) { video.playbackRate = speed; } }

    function choose(button) {
      current = button;
      press(modes, button);
      screen.classList.toggle("audio-mode", button.getAttribute("data-mode") === "audio");
    }

    // Signed URLs (lessons not yet published) live minutes, not the length of a long video: when the server
    // refuses one (403), ask the status API for fresh URLs and carry on from the same second. At most once a
    // minute, so a lesson that is really gone shows the error instead of asking forever.
    var refreshedAt = 0;
    function refresh() {
      var url = root.getAttribute("data-refresh");
      if (!url || Date.now() - refreshedAt < 60000) { return false; }
      refreshedAt = Date.now();
      var at = video.currentTime, playing = !video.paused && !video.ended;
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (body) {
        (body.modes || []).forEach(function (m) {
          var button = root.querySelector('.player-mode[data-mode="' + m.key + '"]');
          if (button) { button.setAttribute("data-src", m.url); }
        });
        attach(at, playing);
      }).catch(function () { status.textContent = root.getAttribute("data-error"); });
      return true;
    }

    function expired(data) { return !!(data && data.response && data.response.code === 403); }

    function attach(at, play) {
      var url = current.getAttribute("data-src");
      if (hls) { hls.destroy(); hls = null; }
      if (window.Hls && window.Hls.isSupported()) {
        // No worker: the CSP allows scripts from this site only, not blob: workers.
        hls = new window.Hls({ enableWorker: false, capLevelToPlayerSize: true, startPosition: at || -1 });
        hls.on(window.Hls.Events.ERROR, function (event, data) {
          if (!data.fatal) { return; }
          if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) { if (!(expired(data) && refresh())) { hls.startLoad(); } }
          else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); }
          else { status.textContent = root.getAttribute("data-error"); }
        });
        hls.loadSource(url);
        hls.attachMedia(video);
      } else if (nativeHls) {
        video.src = url;
        if (at) {
          video.addEventListener("loadedmetadata", function seek() {
            video.removeEventListener("loadedmetadata", seek);
            video.currentTime = at;
          });
        }
      } else {
        status.textContent = root.getAttribute("data-unsupported");
        return;
      }
      if (play) { video.play().catch(function () { start.hidden = false; /* the learner presses play again */ }); }
    }

    // The study page (learning/templates/learning/lesson.html) says where the learner stopped, on any device.
    var holder = root.closest ? root.closest("[data-resume]") : null;
    function resumeAt() {
      var at = holder ? parseFloat(holder.getAttribute("data-resume")) : 0;
      return at > 0 ? at : 0;
    }

    // Enrolment happens on the first play (data-enrol: the learner is not enrolled in this course yet), not as
    // a step of its own; the POST carries the page's CSRF token.
    function enrolled() {
      var url = holder ? holder.getAttribute("data-enrol") : null;
      if (!url) { return Promise.resolve(); }
      var token = document.querySelector('meta[name="csrf-token"]');
      return fetch(url, { method: "POST", credentials: "same-origin",
                          headers: { "Accept": "application/json", "X-CSRFToken": token ? token.content : "" } })
        .then(function (r) {
          var json = (r.headers.get("Content-Type") || "").indexOf("json") >= 0;
          if (!r.ok || !json) { throw new Error("enrol " + r.status); }
          holder.removeAttribute("data-enrol");
          holder.dispatchEvent(new CustomEvent("qiuxue:enrolled", { bubbles: true }));
        });
    }

    function begin() {
      start.hidden = true;
      if (started) { video.play().catch(function () { start.hidden = false; }); return; }
      started = true;
      var ready = mse ? loadHlsJs(root.getAttribute("data-hls")).then(showCosts) : Promise.resolve();
      var loaded = ready.then(function () { return true; }, function () { return nativeHls; });
      Promise.all([loaded, enrolled()]).then(function (done) {
        if (done[0]) { attach(resumeAt(), true); } else { status.textContent = root.getAttribute("data-error"); }
      }, function () {
        started = false;
        start.hidden = false;
        status.textContent = (holder && holder.getAttribute("data-text-enrol-failed")) || root.getAttribute("data-error");
      });
    }

    start.addEventListener("click", begin);
    video.addEventListener("play", function () {
      if (!started) { video.pause(); begin(); }
      applySpeed();
    });
    video.addEventListener("loadedmetadata", applySpeed);
    // Browsers that play HLS themselves say only that loading failed: a lapsed signature is the likely cause.
    video.addEventListener("error", function () {
      if (!hls && started && video.error && video.error.code === 2 && !refresh()) {
        status.textContent = root.getAttribute("data-error");
      }
    });
    each(modes, function (button) {
      button.addEventListener("click", function () {
        remember(MODE_KEY, button.getAttribute("data-mode"));
        choose(button);
        if (started) { attach(video.currentTime, !video.paused && !video.ended); }
      });
    });
    each(speeds, function (button) {
      if (parseFloat(button.getAttribute("data-speed")) === speed) { press(speeds, button); }
      button.addEventListener("click", function () {
        speed = parseFloat(button.getAttribute("data-speed"));
        remember(SPEED_KEY, String(speed));
        press(speeds, button);
        applySpeed();
      });
    });
    if (current) { choose(current); }
    showCosts();
    // Arrived by tapping 立即学习 / 继续学习: play at once (the tap was the gesture; if the browser still wants one,
    // the play button comes back).
    if (holder && holder.hasAttribute("data-autoplay")) { begin(); }
  }

  each(document.querySelectorAll("[data-player]"), setup);
})();
