/* Povreg: small progressive enhancements. Every page also works without this file. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  // A <button data-print> prints the page (no inline handlers: the Content Security Policy forbids them).
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el.closest && el.closest("[data-print]")) window.print();
  });

  // A <select data-autosubmit> submits its form when changed (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
  });

  // Member rows of the household form: "Add member" clones the empty row; ticking "Remove" greys a row out.
  function setupFormset(box) {
    var prefix = box.getAttribute("data-formset");
    var total = box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = box.querySelector("template[data-empty-row]");
    var rows = box.querySelector("[data-rows]");
    var addButton = box.querySelector("[data-add-row]");
    if (!total || !template || !rows || !addButton) return;
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
      if (first) first.focus();
    });
    box.addEventListener("change", function (event) {
      var el = event.target;
      if (el.name && /-DELETE$/.test(el.name)) {
        var row = el.closest("[data-row]");
        if (row) row.classList.toggle("removed", el.checked);
      }
      // The officer ticked or unticked "able to work" by hand: the birth year no longer decides it.
      var able = el.closest && el.closest("[data-able-to-work]");
      if (able && el.type === "checkbox") able.removeAttribute("data-follow-age");
    });
    // A new row's "able to work" follows the birth year as typed: ticked for ages within the working age
    // (bounds from the page, data-working-age-from/-to), unticked for a child or an elderly member.
    var from = parseInt(box.getAttribute("data-working-age-from"), 10);
    var to = parseInt(box.getAttribute("data-working-age-to"), 10);
    var thisYear = parseInt(box.getAttribute("data-this-year"), 10);
    if (!isNaN(from) && !isNaN(to) && !isNaN(thisYear)) {
      box.addEventListener("input", function (event) {
        var el = event.target;
        if (!el.name || !/-birth_year$/.test(el.name)) return;
        var row = el.closest("[data-row]");
        var tick = row && row.querySelector("[data-able-to-work][data-follow-age] input[type=checkbox]");
        var year = parseInt(el.value, 10);
        if (!tick || !/^\d{4}$/.test(el.value.trim()) || year > thisYear) return;
        var age = thisYear - year;
        tick.checked = age >= from && age <= to;
      });
    }
  }

  onReady(function () {
    document.querySelectorAll("[data-formset]").forEach(setupFormset);
  });
})();
