// The notifications page's 手机推送 box: subscribe this device to Web Push with the site's VAPID key and hand the
// subscription to the server (one row per device, kept while this login lasts), or take it back. Without push
// support it says so.
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) { return; }
  var on = box.querySelector("[data-push-on]"), off = box.querySelector("[data-push-off]");
  var token = document.querySelector("input[name=csrf_token]").value;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    box.querySelector("[data-push-unsupported]").hidden = false;
    return;
  }
  function key(b64) {
    var padded = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token } });
  }
  function show(subscribed) { on.hidden = subscribed; off.hidden = !subscribed; }
  navigator.serviceWorker.ready.then(function (reg) {
    // on only when this login holds it (data-here): a subscription ends with the login that made it, so after
    // logging in again the browser's old one is handed over again with 开启
    reg.pushManager.getSubscription().then(function (sub) { show(!!sub && box.hasAttribute("data-here")); });
    on.addEventListener("click", function () {
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.getAttribute("data-key")) })
        .then(function (sub) { return post("/api/v1/me/push-subscriptions", sub.toJSON()); })
        .then(function () { show(true); }, function () { box.querySelector("[data-push-unsupported]").hidden = false; });
    });
    off.addEventListener("click", function () {
      reg.pushManager.getSubscription().then(function (sub) {
        if (!sub) { show(false); return null; }
        return post("/api/v1/me/push-subscriptions/remove", { endpoint: sub.endpoint })
          .then(function () { return sub.unsubscribe(); }).then(function () { show(false); });
      });
    });
  });
})();
