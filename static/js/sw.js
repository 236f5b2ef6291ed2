// The service worker. app/assets.py serves it at /sw.js with `self.QIUXUE = {version, offline, shell}` in front:
// the version is the fingerprint of every static file, so each deploy brings a new worker and a new cache.
// What it keeps: this deploy's fingerprinted static files (cache first: their URLs never change meaning), the
// offline page, and the last 我的学习 page of the worker signed in (network first: online, always the fresh one).
// What it never keeps: media (signed, expiring URLs), API answers, any other page, anything but GET. Those go to
// the network untouched, so learning/static/js/progress.js still queues heartbeats itself when offline.
/* global self, caches, fetch, Response, Request, URL */
(function () {
  "use strict";
  var CONFIG = self.QIUXUE;
  var STATIC = "qiuxue-static-" + CONFIG.version;
  var PAGES = "qiuxue-pages";
  var LEARNING = "/learning";
  var FRESH_MS = 10 * 60 * 1000;  // a kept 我的学习 younger than this is not fetched again just to keep it

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(STATIC).then(function (cache) {
      // The offline page without cookies: it must not carry anyone's name.
      return cache.addAll(CONFIG.shell.concat([new Request(CONFIG.offline, { credentials: "omit" })]));
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("qiuxue-static-") === 0 && name !== STATIC;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () {
      // Pages start downloading while the worker wakes up (a slow phone takes a moment to start it).
      return self.registration.navigationPreload ? self.registration.navigationPreload.enable() : null;
    }).then(function () { return self.clients.claim(); }));
  });

  function keepLearning(response) {
    if (!response.ok || response.redirected || response.status !== 200) { return Promise.resolve(); }
    return caches.open(PAGES).then(function (cache) { return cache.put(LEARNING, response); });
  }

  // The kept copy says it is one (static/js/site.js keeps its 离线 banner up), even where the phone believes it
  // is online but the site cannot be reached (weak signal, a captive portal).
  function marked(kept) {
    return kept.text().then(function (html) {
      return new Response(html.replace('class="offline-banner"', 'class="offline-banner" data-copy'),
                          { status: 200, headers: kept.headers });
    });
  }

  function page(event, url) {
    var request = event.request;
    return Promise.resolve(event.preloadResponse).then(function (preloaded) {
      return preloaded || fetch(request);
    }).then(function (response) {
      if (url.pathname === LEARNING) { keepLearning(response.clone()); }
      return response;
    }, function () {
      var wanted = url.pathname === LEARNING || url.pathname === "/";
      return caches.open(PAGES).then(function (cache) { return wanted ? cache.match(LEARNING) : null; })
        .then(function (kept) { return kept ? marked(kept) : caches.match(CONFIG.offline); })
        .then(function (answer) { return answer || Response.error(); });
    });
  }

  function asset(request) {
    return caches.match(request).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        var immutable = (response.headers.get("Cache-Control") || "").indexOf("immutable") >= 0;
        if (response.status === 200 && immutable) {
          var copy = response.clone();
          caches.open(STATIC).then(function (cache) { return cache.put(request, copy); });
        }
        return response;
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET" || request.headers.has("range")) { return; }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (request.mode === "navigate") { event.respondWith(page(event, url)); }
    else if (url.pathname.indexOf("/static/") === 0) { event.respondWith(asset(request)); }
  });

  // Web Push (app/notifications/delivery.py): the payload is {title, body, url, tag}; a tap opens its url (the
  // message's open link, which marks it read), in a window of ours when one is open.
  self.addEventListener("push", function (event) {
    var data = {};
    try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
    event.waitUntil(self.registration.showNotification(data.title || "求学", {
      body: data.body || "", tag: data.tag, data: { url: data.url || "/me/notifications" },
      icon: "/static/icons/icon-192.png", badge: "/static/icons/icon-192.png"
    }));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var target = (event.notification.data && event.notification.data.url) || "/me/notifications";
    event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (open) {
      for (var i = 0; i < open.length; i += 1) {
        if (new URL(open[i].url).origin === self.location.origin && "navigate" in open[i]) {
          return open[i].navigate(target).then(function (c) { return c && c.focus(); });
        }
      }
      return self.clients.openWindow(target);
    }));
  });

  // From static/js/site.js on a signed-in page: keep 我的学习 ready for the next time there is no network.
  self.addEventListener("message", function (event) {
    if (!event.data || event.data.type !== "warm") { return; }
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return cache.match(LEARNING).then(function (kept) {
        var age = kept ? Date.now() - Date.parse(kept.headers.get("Date") || "") : Infinity;
        if (age < FRESH_MS) { return null; }
        return fetch(LEARNING, { credentials: "same-origin" }).then(keepLearning, function () { return null; });
      });
    }));
  });
})();
