// trialdesk: tables that sort (no build step, no library). Every table with a <thead> whose
// header cells are plain text gets a button in each header: a click sorts the body's rows by
// that column, again the other way; aria-sort tells screen readers the order. A cell may give
// its sort key in data-sort (an ISO date behind a localized one); numbers sort as numbers,
// with a decimal comma too. A table marked data-nosort, or with cells spanning columns, is
// left as it is.
(function () {
  "use strict";
  function key(cell) {
    var text = (cell.getAttribute("data-sort") || cell.textContent || "").trim();
    var number = text.replace(/\s/g, "").replace(/^([<>≤≥]?)(-?\d+)[.,](\d+)/, "$2.$3")
      .match(/^-?\d+(\.\d+)?(?=\D|$)/);
    return number && /^[<>≤≥-]?\d/.test(text) ? {n: parseFloat(number[0]), t: text}
      : {n: null, t: text.toLocaleLowerCase()};
  }
  function compare(a, b) {
    if (a.n !== null && b.n !== null) { return a.n - b.n; }
    if (a.n !== null) { return -1; }
    if (b.n !== null) { return 1; }
    return a.t.localeCompare(b.t, document.documentElement.lang || undefined);
  }
  function sortBy(table, headers, index) {
    var header = headers[index];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var rows = Array.prototype.slice.call(body.rows).filter(function (row) {
        return row.cells.length === headers.length;
      });
      rows.sort(function (x, y) {
        var order = compare(key(x.cells[index]), key(y.cells[index]));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  }
  function enhance(table) {
    if (table.hasAttribute("data-nosort") || !table.tHead || table.tHead.rows.length !== 1) {
      return;
    }
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var plain = headers.every(function (th) {
      return th.colSpan === 1 && !th.querySelector("a, button, input, select");
    });
    var rows = Array.prototype.slice.call(table.tBodies).reduce(function (n, body) {
      return n + body.rows.length;
    }, 0);
    if (!plain || rows < 2) { return; }
    headers.forEach(function (th, index) {
      if (!th.textContent.trim()) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, headers, index); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), enhance);
  });
}());
