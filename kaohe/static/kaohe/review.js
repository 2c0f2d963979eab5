// The review queue: a header checkbox ticks or clears every row's.
(function () {
  "use strict";
  document.querySelectorAll("[data-kh-pick-all]").forEach(function (all) {
    var boxes = all.closest("table").querySelectorAll('tbody input[name="pick"]');
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
