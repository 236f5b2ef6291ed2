// 简易模式 (low-literacy mode, issue 24 item 7), loaded by static/js/site.js for those who use it: large type and icon-first navigation (site.css,
// under `html.easy`), summaries cut to their first sentence, a 🔊 button that reads aloud titles, summaries and
// reading lessons with the browser's own speech synthesis (zh-CN; nothing leaves the phone, no data used), buttons
// and links read when focused, and a 🎤 button on search forms where the browser can listen (hidden elsewhere).
// Remembered per person and per device: localStorage, keyed by the signed-in user (or "anon").
// With the audio-only data saver (static/js/player.js): speech pauses a playing lesson, a lesson that starts
// playing stops the speech, so the worker never hears two voices; the player's own choice is left alone.
(function () {
  "use strict";
  var root = document.documentElement;
  var key = "qiuxue.easy." + (document.body.getAttribute("data-user") || "anon");
  var texts = document.querySelector("[data-easy-texts]");
  var speech = window.speechSynthesis;
  var Listener = window.SpeechRecognition || window.webkitSpeechRecognition;
  var bar = null, speakingButton = null, current = null;

  function text(name) { return (texts && texts.getAttribute("data-" + name)) || ""; }
  function recall() { try { return window.localStorage.getItem(key) === "1"; } catch (e) { return false; } }
  function keep(on) { try { window.localStorage.setItem(key, on ? "1" : "0"); } catch (e) { /* private mode */ } }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  // The site's own icon sprite (the tab bar's and the bell's), so no emoji font is needed on the phone.
  var used = document.querySelector('use[href*="/icons/tabs."]');
  var sprite = used ? used.getAttribute("href").split("#")[0] : "";
  function icon(name, fallback) {
    if (!sprite) { return document.createTextNode(fallback); }
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", sprite + "#" + name);
    svg.appendChild(use);
    return svg;
  }

  function showSpeaking(button, on) {
    if (speakingButton) { speakingButton.classList.remove("speaking"); speakingButton.setAttribute("aria-pressed", "false"); }
    speakingButton = button;
    if (button) { button.classList.add("speaking"); button.setAttribute("aria-pressed", "true"); }
    if (bar) { bar.hidden = !on; }
  }

  function stop() { current = null; if (speech) { speech.cancel(); } showSpeaking(null, false); }

  function voice() {
    var voices = speech.getVoices ? speech.getVoices() : [];
    return voices.filter(function (v) { return /^zh[-_]CN/i.test(v.lang); })[0] ||
      voices.filter(function (v) { return /^zh/i.test(v.lang); })[0] || null;
  }

  function speak(words, button) {
    if (!speech || !words) { return; }
    speech.cancel();
    each(document.querySelectorAll("video, audio"), function (media) { if (!media.paused) { media.pause(); } });
    var utterance = new window.SpeechSynthesisUtterance(words.replace(/\s+/g, " ").trim().slice(0, 4000));
    utterance.lang = "zh-CN";
    var chosen = voice();
    if (chosen) { utterance.voice = chosen; }
    utterance.rate = 0.9;
    utterance.onend = utterance.onerror = function () { if (current === utterance) { current = null; showSpeaking(null, false); } };
    current = utterance;
    showSpeaking(button || null, true);
    speech.speak(utterance);
  }

  function speakerFor(target) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "easy-speak";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", text("read") + " " + target.textContent.trim().slice(0, 40));
    button.appendChild(icon("speaker", "🔊"));
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      if (speakingButton === button) { stop(); } else { speak(target.textContent, button); }
    });
    return button;
  }

  // Titles, marked summaries and reading lessons get a 🔊 button (once); summaries shrink to one sentence.
  function decorate() {
    if (speech) {
      each(document.querySelectorAll("main h1, main h2, main [data-speak], main .rich"), function (target) {
        if (target.hasAttribute("data-easy-done") || target.closest(".easy-speak")) { return; }
        target.setAttribute("data-easy-done", "");
        var button = speakerFor(target);
        if (target.classList.contains("rich")) { target.parentNode.insertBefore(button, target); }
        else if (target.closest("a")) { target.closest("a").parentNode.insertBefore(button, target.closest("a")); }
        else { target.appendChild(button); }
      });
    }
    each(document.querySelectorAll("[data-easy-short]"), function (el) {
      if (!el.hasAttribute("data-easy-full")) { el.setAttribute("data-easy-full", el.textContent); }
      var first = el.getAttribute("data-easy-full").match(/^[^。！？!?]*[。！？!?]?/);
      el.textContent = first ? first[0] : el.getAttribute("data-easy-full");
    });
  }

  function undecorate() {
    stop();
    each(document.querySelectorAll(".easy-speak"), function (b) { b.parentNode.removeChild(b); });
    each(document.querySelectorAll("[data-easy-done]"), function (el) { el.removeAttribute("data-easy-done"); });
    each(document.querySelectorAll("[data-easy-full]"), function (el) { el.textContent = el.getAttribute("data-easy-full"); });
  }

  function apply(on) {
    root.classList.toggle("easy", on);
    each(document.querySelectorAll("[data-easy-toggle]"), function (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); });
    if (on) { decorate(); } else { undecorate(); }
  }

  function voiceSearch(form) {
    var input = form.querySelector("input[type=search], input[name=q]");
    if (!input || form.querySelector(".easy-mic")) { return; }
    var mic = document.createElement("button");
    mic.type = "button";
    mic.className = "button easy-mic";
    mic.setAttribute("aria-label", text("voice"));
    mic.appendChild(icon("mic", "🎤"));
    mic.addEventListener("click", function () {
      var listener = new Listener();
      listener.lang = "zh-CN";
      listener.interimResults = false;
      listener.maxAlternatives = 1;
      listener.onresult = function (event) {
        input.value = event.results[0][0].transcript.replace(/[。，,.]$/, "");
        form.submit();
      };
      listener.onend = function () { mic.classList.remove("listening"); };
      mic.classList.add("listening");
      stop();
      listener.start();
    });
    input.parentNode.insertBefore(mic, input.nextSibling);
  }

  var css = texts && texts.getAttribute("data-easy-css");
  if (css && !document.querySelector("link[data-easy-css]")) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = css;
    link.setAttribute("data-easy-css", "");
    document.head.appendChild(link);
  }

  bar = document.createElement("p");
  bar.className = "easy-speaking";
  bar.setAttribute("role", "status");
  bar.hidden = true;
  bar.appendChild(icon("speaker", "🔊"));
  bar.insertAdjacentHTML("beforeend", ' <span class="easy-speaking-text"></span> ');
  bar.querySelector(".easy-speaking-text").textContent = text("speaking");
  var stopButton = document.createElement("button");
  stopButton.type = "button";
  stopButton.className = "button";
  stopButton.textContent = text("stop");
  stopButton.addEventListener("click", stop);
  bar.appendChild(stopButton);
  document.body.appendChild(bar);

  each(document.querySelectorAll("[data-easy-toggle]"), function (button) {
    button.addEventListener("click", function () {
      var on = !root.classList.contains("easy");
      keep(on);
      apply(on);
      if (on) { speak(text("on")); }
    });
  });
  // Buttons, links and tabs say their name when focused (a long press or the keyboard), in easy mode only.
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (!root.classList.contains("easy") || !el.closest || el.classList.contains("easy-speak")) { return; }
    var target = el.closest("a, button, .tab");
    if (target && target.textContent.trim()) { speak(target.getAttribute("aria-label") || target.textContent); }
  });
  document.addEventListener("play", function (event) {
    if (event.target.matches && event.target.matches("video, audio") && current) { stop(); }
  }, true);
  if (Listener) { each(document.querySelectorAll("form[role=search]"), voiceSearch); }
  if (speech && speech.getVoices) { speech.getVoices(); }  // some browsers load the voices on first ask
  window.qiuxueEasy = true;
  // fetched by static/js/site.js when remembered on, or at a first tap (on for this page even without storage)
  apply(recall() || !!window.qiuxueEasyJustOn);
  if (window.qiuxueEasyJustOn) { window.qiuxueEasyJustOn = false; speak(text("on")); }
})();
