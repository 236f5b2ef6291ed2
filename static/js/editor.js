// The Markdown editor (app/templates/_markdown.html): a toolbar that inserts Markdown at the cursor and a
// 编辑/预览 switch. The preview is rendered by the server (POST /api/v1/markdown/preview, app/richtext.py), by
// the same function that renders on save, so what is previewed is what will be shown. Without JavaScript the
// text box still works. Every visible word comes from the wrapper's data-* attributes (translated there).
(function () {
  "use strict";
  function button(text, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button " + className;
    b.textContent = text;
    return b;
  }

  // Wrap the selection (or a placeholder) in before/after, or prefix each selected line.
  function insert(area, before, after, placeholder, perLine) {
    var start = area.selectionStart, end = area.selectionEnd, value = area.value;
    var chosen = value.slice(start, end) || placeholder;
    var text;
    if (perLine) {
      var lineStart = value.lastIndexOf("\n", start - 1) + 1;
      var lines = value.slice(lineStart, end);
      text = (lines || placeholder).split("\n").map(function (line) { return before + line; }).join("\n");
      area.value = value.slice(0, lineStart) + text + value.slice(end);
      // an empty line gets the placeholder selected, so typing replaces it
      area.setSelectionRange(lines ? lineStart + text.length : lineStart + before.length, lineStart + text.length);
    } else {
      text = before + chosen + after;
      area.value = value.slice(0, start) + text + value.slice(end);
      area.setSelectionRange(start + before.length, start + before.length + chosen.length);
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setUp(root) {
    var t = root.dataset;  // the words to show, the preview's address and the page's CSRF token
    var area = root.querySelector("textarea");
    var tabs = document.createElement("div");
    tabs.className = "md-tabs";
    tabs.setAttribute("role", "tablist");
    var write = button(t.write, "md-write");
    var show = button(t.preview, "md-show");
    [write, show].forEach(function (b) { b.setAttribute("role", "tab"); tabs.appendChild(b); });
    var tools = document.createElement("div");
    tools.className = "md-tools";
    tools.setAttribute("role", "toolbar");
    tools.setAttribute("aria-label", t.toolbar);
    var actions = [
      [t.heading, function () { insert(area, "## ", "", t.heading, true); }],
      [t.bold, function () { insert(area, "**", "**", t.boldText, false); }],
      [t.list, function () { insert(area, "- ", "", t.list, true); }],
      [t.link, function () { insert(area, "[", "](https://)", t.linkText, false); }]
    ];
    actions.forEach(function (pair) {
      var b = button(pair[0], "md-tool");
      b.addEventListener("click", pair[1]);
      tools.appendChild(b);
    });
    var preview = document.createElement("div");
    preview.className = "md-preview rich";
    preview.setAttribute("role", "tabpanel");
    preview.setAttribute("aria-live", "polite");
    preview.tabIndex = 0;
    preview.hidden = true;
    root.insertBefore(tabs, area);
    root.insertBefore(tools, area);
    root.appendChild(preview);
    var asked = 0;

    function mode(previewing) {
      write.setAttribute("aria-selected", String(!previewing));
      show.setAttribute("aria-selected", String(previewing));
      area.hidden = previewing;
      tools.hidden = previewing;
      preview.hidden = !previewing;
    }

    function message(text) {
      preview.textContent = "";
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = text;
      preview.appendChild(p);
    }

    write.addEventListener("click", function () { mode(false); area.focus(); });
    show.addEventListener("click", function () {
      var mine = ++asked;
      message(t.loading);
      mode(true);
      fetch(root.dataset.previewUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": t.csrf },
        body: JSON.stringify({ source: area.value })
      }).then(function (response) {
        return response.json().then(function (body) { return [response.ok, body]; });
      }).then(function (pair) {
        if (mine !== asked) { return; }  // a newer preview was asked for meanwhile
        if (!pair[0]) { message((pair[1].error && pair[1].error.message) || t.failed); return; }
        if (!pair[1].html) { message(t.empty); return; }
        preview.innerHTML = pair[1].html;  // sanitised by the server's one allowlist (app/sanitize.py)
      }).catch(function () { if (mine === asked) { message(t.failed); } });
    });
    mode(false);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".md-editor"), setUp);
})();
