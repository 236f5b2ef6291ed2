/* Course analytics charts (programme/analytics): draws the figures the page carries as JSON with Chart.js
   (static/vendor/chart.js). The same numbers are in the page's tables, so nothing is lost without scripts. */
(function () {
  "use strict";
  var source = document.getElementById("analytics-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var RED = "#b71c1c", GREY = "#9e9e9e", BLUE = "#1565c0";
  var base = {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { display: false } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { autoSkip: true, maxRotation: 0 } } }
  };

  function options(extra) { return Object.assign({}, base, extra || {}); }

  function bar(canvas, series, colour) {
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: series.label, data: series.values, backgroundColor: colour }] },
      options: options()
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var key = canvas.getAttribute("data-chart");
    if (data[key]) { bar(canvas, data[key], key === "funnel" ? RED : BLUE); }
  });

  (data.curves || []).forEach(function (curve) {
    var canvas = document.querySelector('canvas[data-curve="' + curve.id + '"]');
    if (!canvas) { return; }
    new window.Chart(canvas, {
      data: {
        labels: curve.labels,
        datasets: [
          { type: "line", label: curve.watchedLabel, data: curve.watched, borderColor: RED, pointRadius: 0,
            yAxisID: "share", tension: 0.2 },
          { type: "bar", label: curve.stoppedLabel, data: curve.stopped, backgroundColor: GREY, yAxisID: "people" }
        ]
      },
      options: options({
        plugins: { legend: { display: true, position: "bottom" } },
        scales: {
          share: { position: "left", min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
          people: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } },
          x: { ticks: { autoSkip: true, maxRotation: 0 } }
        }
      })
    });
  });
}());
