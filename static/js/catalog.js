// Catalog list pages: apply a filter as soon as it changes (the submit button stays for no-JS browsers).
(function () {
  "use strict";
  var form = document.querySelector(".filter-form");
  if (!form) { return; }
  form.addEventListener("change", function () {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) { params.delete(key); } });
    var query = params.toString();
    window.location.search = query ? "?" + query : "";
  });
})();
