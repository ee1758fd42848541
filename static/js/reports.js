/* Povreg reports: charts (vendored Chart.js; the tables stay as the fallback) and the import progress bar. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  // Every [data-charts] box (report page, dashboard fragment) draws from the JSON named by data-source.
  function charts(root) {
    if (typeof window.Chart === "undefined") return;
    (root || document).querySelectorAll("[data-charts]:not([data-ready])").forEach(function (box) {
      var source = document.getElementById(box.getAttribute("data-source"));
      if (!source) return;
      box.setAttribute("data-ready", "");
      draw(box, JSON.parse(source.textContent));
    });
  }

  function draw(box, d) {
    var t = d.text || {};
    box.hidden = false;
    var fallback = box.parentNode.querySelector("[data-chart-fallback]");
    if (fallback) fallback.hidden = true;
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    // Long unit names read best along the vertical axis: horizontal bars, one row per unit, and a figure tall
    // enough for all of them (at least 280 px).
    var horizontal = (d.labels || []).length > 4;
    function axes(valueTitle, stackedBars) {
      var value = { stacked: !!stackedBars, beginAtZero: true, title: { display: true, text: valueTitle } };
      var unit = { stacked: !!stackedBars, title: { display: true, text: t.unit_axis }, ticks: { autoSkip: false } };
      return horizontal ? { x: value, y: unit } : { x: unit, y: value };
    }
    function title(text) {
      return d.coverage ? { display: true, text: d.coverage, color: "#8a1c12", font: { weight: "bold" } } : { display: false };
    }
    function sized(canvas) {
      var figure = canvas.parentNode;
      figure.style.height = Math.max(280, horizontal ? 60 + 26 * (d.labels || []).length : 320) + "px";
      return canvas;
    }
    var rates = box.querySelector("[data-chart=rates]");
    if (rates) new window.Chart(sized(rates), {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: t.poor_rate, data: d.poor_rate, backgroundColor: "#b42318" },
        { label: t.near_poor_rate, data: d.near_poor_rate, backgroundColor: "#f79009" }
      ] },
      options: Object.assign({}, common, { indexAxis: horizontal ? "y" : "x", scales: axes(t.rate_axis), plugins: { title: title() } })
    });
    var stacked = box.querySelector("[data-chart=stacked]");
    if (stacked) new window.Chart(sized(stacked), {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: t.poverty_reduction, data: d.poverty_reduction, backgroundColor: "#912018", stack: "s" },
        { label: t.social_protection, data: d.social_protection, backgroundColor: "#f97066", stack: "s" },
        { label: t.near_poor, data: d.near_poor, backgroundColor: "#fdb022", stack: "s" }
      ] },
      options: Object.assign({}, common, { indexAxis: horizontal ? "y" : "x", scales: axes(t.households_axis, true), plugins: { title: title() } })
    });
    var trend = box.querySelector("[data-chart=trend]");
    if (trend) {
      trend.parentNode.style.height = "320px";
      new window.Chart(trend, {
        type: "line",
        data: { labels: d.trend_labels, datasets: [
          { label: t.poor_rate, data: d.trend_poor, borderColor: "#b42318", backgroundColor: "#b42318", spanGaps: true },
          { label: t.near_poor_rate, data: d.trend_near_poor, borderColor: "#f79009", backgroundColor: "#f79009", spanGaps: true }
        ] },
        options: Object.assign({}, common, { scales: {
          x: { title: { display: true, text: t.round_axis } },
          y: { beginAtZero: true, title: { display: true, text: t.rate_axis } }
        } })
      });
    }
  }

  // While the upload (or the confirmed import) runs, poll the server's progress value for this token.
  function importProgress(form) {
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.hasAttribute("data-no-progress")) return;
      var url = form.getAttribute("data-progress-url");
      var box = form.querySelector("[data-progress]");
      var bar = form.querySelector("progress");
      var text = form.querySelector("[data-progress-text]");
      if (!url || !box || !bar) return;
      box.hidden = false;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      function poll() {
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (p) {
            if (!p) return;
            bar.value = p.percent || 0;
            if (text) text.textContent = (p.percent || 0) + "%";
          })
          .catch(function () {});
      }
      window.setInterval(poll, 800);
    });
  }

  // A job running in the background (an import's check or write): follow its progress, reload when it ends.
  function jobProgress(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return;
          if (bar) bar.value = p.percent || 0;
          if (text) text.textContent = (p.percent || 0) + "%";
          if (p.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  // The dashboard loads its chart fragment with htmx: draw once it is in the page.
  document.addEventListener("htmx:afterSettle", function (event) { charts(event.target); });

  onReady(function () {
    charts(document);
    document.querySelectorAll("[data-import-form]").forEach(importProgress);
    document.querySelectorAll("[data-job-progress]").forEach(jobProgress);
  });
})();
