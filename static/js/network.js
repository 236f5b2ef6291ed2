// The map list of service points (programme/network/list.html): 按离我的距离排序 asks the phone where it is (the
// browser's own geolocation; no map service is called) and reloads the list with ?lat=&lng=, which the server
// sorts by distance. Refused or unavailable: says so and leaves the list by city and county.
(function () {
  "use strict";
  var button = document.querySelector("[data-near-me]");
  var status = document.querySelector(".near-me-status");
  if (!button) { return; }
  function refused() {
    if (status) { status.textContent = button.getAttribute("data-refused"); status.hidden = false; }
    button.disabled = false;
  }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { refused(); return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      var url = new URL(window.location.href);
      url.searchParams.set("lat", position.coords.latitude.toFixed(3));
      url.searchParams.set("lng", position.coords.longitude.toFixed(3));
      window.location.assign(url.toString());
    }, refused, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
})();
