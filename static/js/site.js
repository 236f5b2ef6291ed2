// On every page (app/templates/base.html): installs the service worker (static/js/sw.js, served at /sw.js) so the
// site opens on 我的学习 without network; says plainly when there is no network (the 离线 banner); and keeps the
// offline copy of 我的学习 for the worker signed in on this phone only: a signed-out page forgets it, so on a
// shared phone the next person never sees someone else's list.
(function () {
  "use strict";
  var PAGES = "qiuxue-pages";
  var me = document.currentScript;
  var banner = document.querySelector(".offline-banner");
  var user = document.body.getAttribute("data-user");

  // 简易模式 (static/js/easy.js) is fetched only by whoever uses it: when this phone remembers it on for this
  // person, or at the first tap on a 简易模式 switch (easy.js then takes the switches over).
  var easyKey = "qiuxue.easy." + (user || "anon");
  function loadEasy() {
    var source = document.querySelector("[data-easy-src]");
    if (window.qiuxueEasy || !source || document.querySelector("script[data-easy-script]")) { return; }
    var script = document.createElement("script");
    script.src = source.getAttribute("data-easy-src");
    script.setAttribute("data-easy-script", "");
    document.head.appendChild(script);
  }
  try { if (window.localStorage.getItem(easyKey) === "1") { loadEasy(); } } catch (e) { /* storage refused */ }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-easy-toggle]");
    if (!toggle || window.qiuxueEasy) { return; }
    try { window.localStorage.setItem(easyKey, "1"); } catch (e) { /* private mode: on for this page only */ }
    window.qiuxueEasyJustOn = true;
    loadEasy();
  });

  var copy = banner && banner.hasAttribute("data-copy");  // the service worker's kept copy: stale by nature
  function mark() { if (banner) { banner.hidden = !copy && navigator.onLine !== false; } }
  mark();
  window.addEventListener("online", mark);
  window.addEventListener("offline", mark);

  // Not on the offline page the worker itself serves (signed out by design), and not without network.
  if (!user && navigator.onLine && !document.querySelector("[data-offline-page]") && window.caches) {
    window.caches.delete(PAGES).catch(function () { /* storage refused: nothing kept to forget */ });
  }
  if (!("serviceWorker" in navigator) || !me) { return; }
  navigator.serviceWorker.register(me.getAttribute("data-sw"), { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (user && navigator.onLine && registration.active) { registration.active.postMessage({ type: "warm" }); }
  }).catch(function () { /* no worker (private mode, old browser): the site works as before, online only */ });
})();
