/* Povreg reports: charts (vendored Chart.js; the tables stay as the fallback) and the import progress bar. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function charts() {
    var source = document.getElementById("report-chart-data");
    var box = document.querySelector("[data-charts]");
    if (!source || !box || typeof window.Chart === "undefined") return;
    var d = JSON.parse(source.textContent);
    var t = d.text || {};
    box.hidden = false;
    var fallback = document.querySelector("[data-chart-fallback]");
    if (fallback) fallback.hidden = true;
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    new window.Chart(document.getElementById("chart-rates"), {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: t.poor_rate, data: d.poor_rate, backgroundColor: "#b42318" },
        { label: t.near_poor_rate, data: d.near_poor_rate, backgroundColor: "#f79009" }
      ] },
      options: common
    });
    new window.Chart(document.getElementById("chart-stacked"), {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: t.poverty_reduction, data: d.poverty_reduction, backgroundColor: "#912018", stack: "s" },
        { label: t.social_protection, data: d.social_protection, backgroundColor: "#f97066", stack: "s" },
        { label: t.near_poor, data: d.near_poor, backgroundColor: "#fdb022", stack: "s" }
      ] },
      options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true } } })
    });
    new window.Chart(document.getElementById("chart-trend"), {
      type: "line",
      data: { labels: d.trend_labels, datasets: [
        { label: t.poor_rate, data: d.trend_poor, borderColor: "#b42318", backgroundColor: "#b42318", spanGaps: true },
        { label: t.near_poor_rate, data: d.trend_near_poor, borderColor: "#f79009", backgroundColor: "#f79009", spanGaps: true }
      ] },
      options: common
    });
  }

  // While the upload (or the confirmed import) runs, poll the server's progress value for this token.
  function importProgress(form) {
    form.addEventListener("submit", function () {
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

  onReady(function () {
    charts();
    document.querySelectorAll("[data-import-form]").forEach(importProgress);
  });
})();
