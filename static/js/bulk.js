// Bulk forms (app/templates/_bulk.html): "全选" ticks every row of its form in place instead of reloading with
// ?all=1, and the action bar says how many are ticked. Without this script the page works the same way.
(function () {
  "use strict";
  function boxes(formId) {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="' + formId + '"]'));
  }
  function count(formId) {
    var shown = document.querySelector('[data-bulk-count="' + formId + '"]');
    if (!shown) { return; }
    var n = boxes(formId).filter(function (b) { return b.checked; }).length;
    shown.textContent = n ? shown.getAttribute("data-text").replace("%n", n) : "";
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-select-all]"), function (link) {
    var formId = link.getAttribute("data-select-all");
    var labels = [link.getAttribute("data-all"), link.getAttribute("data-none")];
    link.setAttribute("role", "button");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var all = boxes(formId);
      var tick = !all.every(function (b) { return b.checked; });
      all.forEach(function (b) { b.checked = tick; });
      link.textContent = tick ? labels[1] : labels[0];
      count(formId);
    });
    boxes(formId).forEach(function (b) { b.addEventListener("change", function () { count(formId); }); });
    count(formId);
  });
})();
