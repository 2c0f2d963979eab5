// 成绩单: a click on a point opens its explanation above the table. One delegated handler on the table's box
// replaces an hx-get on every link; without htmx, or with a modifier key, the link opens the explanation page.
(function () {
  document.querySelectorAll("[data-kh-explain-target]").forEach(function (box) {
    const target = box.getAttribute("data-kh-explain-target");
    box.addEventListener("click", function (event) {
      const link = event.target.closest("a.kh-pts");
      if (!link || !window.htmx || event.button !== 0) return;
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      window.htmx.ajax("GET", link.getAttribute("href"), { target: target, swap: "innerHTML" });
    });
  });
})();
