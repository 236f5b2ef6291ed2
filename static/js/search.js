// Autocomplete for the search box: titles by prefix, pinyin or initials from /api/v1/search/suggest.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-suggestions");
  var meta = document.querySelector('meta[name="search-suggest"]');
  if (!input || !list || !meta) { return; }
  var timer = null;
  var latest = 0;

  function clear() { list.innerHTML = ""; list.hidden = true; input.setAttribute("aria-expanded", "false"); }

  function show(items) {
    list.innerHTML = "";
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "search-suggestion-" + index;
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;  // text, never HTML
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function ask() {
    var q = input.value.trim();
    if (!q) { clear(); return; }
    var ticket = ++latest;
    fetch(meta.content + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (ticket === latest) { show(data.suggestions || []); } })
      .catch(function () { clear(); });
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
  input.addEventListener("keydown", function (e) { if (e.key === "Escape") { clear(); } });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) { clear(); } });
})();

// Results come first on a phone; the facets sit behind one 筛选 button. Without JavaScript the button stays
// hidden and the facets simply follow the results.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-facets-toggle]");
  var panel = document.querySelector("[data-facets]");
  if (!toggle || !panel) { return; }
  var row = toggle.closest(".row-between");
  row.parentNode.insertBefore(panel, row.nextSibling);  // opens right under the button
  panel.hidden = true;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
