// Learning progress for the lesson page (learning/templates/learning/lesson.html).
// Video and audio: the seconds actually played are collected as [start, end] intervals (a jump of the
// playhead closes one), and a heartbeat goes out every 15 s while playing and on pause, seek, end and page
// hide. Reading: spans of time the page was visible (epoch seconds), the scroll percentage, and whether the
// end of the text was on screen.
// Every heartbeat is first written to IndexedDB, then the queue is sent oldest first, one at a time; an
// entry leaves the queue only when the server has answered it. Offline, heartbeats wait there (the page
// says so) and are replayed in order when the connection returns, or on the next visit. The server folds
// them idempotently (interval union, newest-wins position), so a replay never counts anything twice.
(function () {
  "use strict";
  var root = document.querySelector("[data-progress]");
  if (!root) { return; }
  var DB_NAME = "qiuxue-progress", STORE = "beats", SEQ_KEY = "qiuxue.progress.seq";
  // Refusals that no retry can fix: drop the heartbeat (the server keeps what it already had).
  var PERMANENT = ["bad_heartbeat", "negative_time", "beyond_duration", "bad_interval", "too_much_watched",
                   "too_fast", "lesson_not_found", "no_duration", "not_enrolled", "not_published"];
  var lessonId = parseInt(root.getAttribute("data-lesson"), 10);
  var userId = root.getAttribute("data-user");
  var kind = root.getAttribute("data-kind");
  var api = root.getAttribute("data-api");
  var every = (parseFloat(root.getAttribute("data-interval")) || 15) * 1000;
  var statusEl = root.querySelector(".progress-status");
  var tokenEl = document.querySelector('meta[name="csrf-token"]');
  var token = tokenEl ? tokenEl.getAttribute("content") : "";
  var memory = [];  // used only when IndexedDB is unavailable (private mode on some phones)
  var dbPromise = null, sending = false, retryTimer = null, lastResult = null;

  function text(name, n) { return (root.getAttribute("data-text-" + name) || "").replace("{n}", String(n)); }
  function say(message) { if (statusEl && message) { statusEl.textContent = message; } }

  function nextSeq() {
    var seq = 0;
    try { seq = (parseInt(window.localStorage.getItem(SEQ_KEY), 10) || 0) + 1; window.localStorage.setItem(SEQ_KEY, String(seq)); }
    catch (e) { seq = Date.now(); }
    return seq;
  }

  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var request;
      try { request = window.indexedDB.open(DB_NAME, 1); } catch (e) { resolve(null); return; }
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
    });
    return dbPromise;
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      if (!db) { return work(null); }
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), result;
        Promise.resolve(work(t.objectStore(STORE))).then(function (r) { result = r; });
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function enqueue(beat) {
    return tx("readwrite", function (store) {
      if (!store) { memory.push(beat); return null; }
      store.add(beat);
      return null;
    }).catch(function () { memory.push(beat); });
  }

  // This account's queued heartbeats, oldest first: on a shared phone, another worker's queue waits for them.
  function mine(limit) {
    return tx("readonly", function (store) {
      if (!store) { return []; }
      return new Promise(function (resolve) {
        var found = [], r = store.openCursor();
        r.onsuccess = function () {
          var cursor = r.result;
          if (!cursor || found.length >= limit) { resolve(found); return; }
          if (cursor.value.user === userId) { found.push({ id: cursor.key, beat: cursor.value }); }
          cursor.continue();
        };
        r.onerror = function () { resolve(found); };
      });
    });
  }

  function oldest() {
    if (memory.length) { return Promise.resolve({ id: null, beat: memory[0] }); }
    return mine(1).then(function (found) { return found.length ? found[0] : null; });
  }

  function drop(entry) {
    if (entry.id === null) { memory.shift(); return Promise.resolve(); }
    return tx("readwrite", function (store) { store.delete(entry.id); return null; });
  }

  function count() {
    return mine(Infinity).then(function (found) { return found.length + memory.length; });
  }

  function showWaiting() {
    count().then(function (n) { if (n > 0) { say(text("waiting", n)); } });
  }

  // The moment that matters: the lesson's panel (what comes next), or the course's (the credits just earned).
  function celebrate(result) {
    var lessonPanel = document.querySelector('[data-celebrate="lesson"]');
    var coursePanel = document.querySelector('[data-celebrate="course"]');
    var shown = result.resource_complete ? coursePanel : (lessonPanel && lessonPanel.querySelector("a") ? lessonPanel : null);
    if (!shown || !shown.hidden) { return; }
    shown.hidden = false;
    var heading = shown.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); }
  }

  function showResult(result) {
    if (!result || result.lesson_id !== lessonId) { return; }
    lastResult = result;
    if (result.complete) { say(text("complete")); root.setAttribute("data-complete", "true"); celebrate(result); }
    else { say(text("saved")); }
  }

  // sent_time: this phone's clock now, so the server can place client_time on its own clock (a phone whose
  // clock is off, a queue replayed hours later) when it checks watched time against the time that passed.
  function post(beat, keepalive) {
    var body = {}, key;
    for (key in beat) { if (Object.prototype.hasOwnProperty.call(beat, key)) { body[key] = beat[key]; } }
    body.sent_time = Date.now();
    return fetch(api, { method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(body) });
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, 10000);
  }

  // Send the queue oldest first; stop at the first failure that a later try may fix.
  function flush() {
    if (sending) { return; }
    sending = true;
    function step() {
      return oldest().then(function (entry) {
        if (!entry) { return true; }
        return post(entry.beat).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var code = body && body.error ? body.error.code : "";
            if (response.ok) { showResult(body); return drop(entry).then(step); }
            if (PERMANENT.indexOf(code) >= 0) {
              say(text("rejected") + (body.error.message || ""));
              return drop(entry).then(step);
            }
            return false;  // csrf_failed, login_required, busy, server errors: keep it and retry
          });
        }, function () { return false; });  // offline or the network failed
      });
    }
    step().then(function (done) {
      sending = false;
      if (!done) { showWaiting(); scheduleRetry(); }
      else if (lastResult) { showResult(lastResult); }
    }, function () { sending = false; showWaiting(); scheduleRetry(); });
  }

  function send(beat, leaving) {
    beat.user = userId;
    beat.client_time = Date.now();
    beat.seq = nextSeq();
    var stored = enqueue(beat);
    if (leaving && navigator.onLine !== false) {
      // The page may be gone before IndexedDB and the queue finish; keepalive outlives it. If it gets
      // through, the stored copy is replayed later and changes nothing.
      try { post(beat, true).catch(function () {}); } catch (e) { /* no keepalive support */ }
      return;
    }
    stored.then(function () { if (navigator.onLine === false) { showWaiting(); } flush(); });
  }

  function trackMedia(video) {
    var spans = [], start = null, last = null;
    var resume = parseFloat(root.getAttribute("data-resume")) || 0;

    function close() {
      if (start !== null && last !== null && last > start) { spans.push([start, last]); }
      start = null;
    }
    function beat(leaving) {
      close();
      if (!video.paused && !video.seeking) { start = video.currentTime; last = video.currentTime; }
      var watched = spans;
      spans = [];
      if (!watched.length && !video.currentTime) { return; }  // never played: nothing to report
      send({ lesson_id: lessonId, position_s: video.currentTime || resume, watched: watched }, leaving);
    }
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (video.paused || video.seeking) { return; }
      // A step longer than a few seconds of media is a seek, not watching: close the span there.
      if (start === null || last === null || now < last || now - last > 3 * Math.max(video.playbackRate, 1)) {
        close();
        start = now;
      }
      last = now;
    });
    video.addEventListener("seeking", function () { close(); });
    video.addEventListener("seeked", function () { if (video.currentTime > 0) { beat(false); } });
    video.addEventListener("pause", function () { if (!video.ended) { beat(false); } });
    video.addEventListener("ended", function () { last = video.duration || last; beat(false); });
    window.setInterval(function () { if (!video.paused) { beat(false); } }, every);
    return function () { beat(true); };
  }

  function trackReading() {
    var spanStart = document.visibilityState === "visible" ? Date.now() / 1000 : null;
    var atEnd = false;
    var end = root.querySelector(".progress-end");

    function position() {
      var doc = document.documentElement;
      var max = Math.max(doc.scrollHeight - window.innerHeight, 1);
      return Math.min(100, Math.max(0, Math.round(100 * window.scrollY / max)));
    }
    function beat(leaving) {
      var now = Date.now() / 1000, watched = [];
      if (spanStart !== null && now > spanStart) { watched.push([spanStart, now]); }
      spanStart = document.visibilityState === "visible" && !leaving ? now : null;
      send({ lesson_id: lessonId, position_s: position(), watched: watched, at_end: atEnd }, leaving);
    }
    var opened = Date.now() / 1000;
    var minRead = parseFloat(root.getAttribute("data-min-read")) || 0;
    if (end && window.IntersectionObserver) {
      new window.IntersectionObserver(function (entries) {
        if (!entries[0].isIntersecting || atEnd) { return; }
        atEnd = true;
        beat(false);
        // Reached the end before the minimum time: report again once it has passed, not 15 s later.
        var wait = minRead - (Date.now() / 1000 - opened) + 1;
        if (wait > 0) { window.setTimeout(function () { beat(false); }, wait * 1000); }
      }).observe(end);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && spanStart === null) { spanStart = Date.now() / 1000; }
    });
    window.setInterval(function () { if (document.visibilityState === "visible") { beat(false); } }, every);
    return function () { beat(true); };
  }

  var leave = null;
  var video = root.querySelector("video");
  if (kind === "reading") { leave = trackReading(); }
  else if (video) { leave = trackMedia(video); }
  if (leave) {
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { leave(); } });
    window.addEventListener("pagehide", leave);
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", showWaiting);
  flush();  // anything left from an earlier visit (any lesson) goes first
})();
