// A table of inputs that behaves like a spreadsheet (table[data-kh-sheet], cells marked data-kh-row/-col):
// a column or block copied from Excel or WPS (tabs between cells, newlines between rows) is pasted into the
// consecutive cells from the one pasted into; ↑ ↓ and Enter (Shift+Enter back) move between rows, ← → between
// columns once the caret is at the edge of the text. Nothing is saved until 保存.
(function () {
  document.querySelectorAll("table[data-kh-sheet]").forEach(function (table) {
    function cell(row, col) {
      return table.querySelector('[data-kh-row="' + row + '"][data-kh-col="' + col + '"]');
    }
    function at(el) {
      return [parseInt(el.getAttribute("data-kh-row"), 10), parseInt(el.getAttribute("data-kh-col"), 10)];
    }
    function move(el, dRow, dCol) {
      const [row, col] = at(el);
      const next = cell(row + dRow, col + dCol);
      if (!next) return false;
      next.focus();
      if (next.select) next.select();
      return true;
    }

    table.addEventListener("paste", function (event) {
      const el = event.target;
      if (!el.hasAttribute || !el.hasAttribute("data-kh-row")) return;
      const text = (event.clipboardData || window.clipboardData).getData("text/plain");
      if (!/[\t\n\r]/.test(text)) return;  // one value: the browser pastes it as usual
      event.preventDefault();
      const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
      const [row, col] = at(el);
      let last = el;
      lines.forEach(function (line, i) {
        line.split("\t").forEach(function (value, j) {
          const target = cell(row + i, col + j);
          if (!target || target.disabled || target.readOnly) return;
          target.value = value.trim();
          target.dispatchEvent(new Event("input", { bubbles: true }));
          last = target;
        });
      });
      last.focus();
    });

    table.addEventListener("keydown", function (event) {
      const el = event.target;
      if (!el.hasAttribute || !el.hasAttribute("data-kh-row") || event.altKey || event.ctrlKey || event.metaKey) return;
      const atStart = el.selectionStart === 0 && el.selectionEnd === 0;
      const atEnd = el.selectionStart === el.value.length && el.selectionEnd === el.value.length;
      let moved = false;
      if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) moved = move(el, 1, 0);
      else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) moved = move(el, -1, 0);
      else if (event.key === "ArrowRight" && atEnd) moved = move(el, 0, 1);
      else if (event.key === "ArrowLeft" && atStart) moved = move(el, 0, -1);
      // Enter never submits the grid from a cell: it moves down, as in a spreadsheet.
      if (moved || event.key === "Enter") event.preventDefault();
    });
    table.setAttribute("data-kh-ready", "");  // the handlers are bound: a paste from now on is spread over the cells
  });
})();
