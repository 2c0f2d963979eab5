// Click a header marked data-sort-key to sort the table body by that column (numbers as numbers).
(function () {
  function cellValue(row, index) {
    const cell = row.children[index];
    if (!cell) return "";
    const raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    const number = parseFloat(raw.replace(/[,%()↑↓]/g, ""));
    return isNaN(number) ? raw : number;
  }
  // Each sortable header names the body column it sorts with data-col (cells never span columns).
  function columnIndex(th) { return parseInt(th.getAttribute("data-col"), 10); }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.tHead.querySelectorAll("th[data-sort-key]").forEach(function (th) {
      th.addEventListener("click", function () {
        const index = columnIndex(th);
        const dir = th.getAttribute("data-sort-dir") === "asc" ? "desc" : "asc";
        table.tHead.querySelectorAll("th").forEach((h) => h.removeAttribute("data-sort-dir"));
        th.setAttribute("data-sort-dir", dir);
        const rows = Array.from(table.tBodies[0].rows);
        rows.sort(function (a, b) {
          const x = cellValue(a, index), y = cellValue(b, index);
          const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
          return dir === "asc" ? order : -order;
        });
        rows.forEach((row) => table.tBodies[0].appendChild(row));
      });
    });
  });
  document.querySelectorAll("select[data-kh-nav]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.action = select.value; });
  });
})();
