// The before/after comparison on the review page: the damaged input lies over the
// output, cut at the slider's position from the left. The slider is an
// <input type="range">, so the arrow keys, Home and End move it too.
"use strict";

(function () {
  document.querySelectorAll("[data-compare]").forEach(function (compare) {
    const before = compare.querySelector("[data-compare-before]");
    const range = compare.querySelector("[data-compare-range]");
    if (!before || !range) return;
    function show() {
      const shown = Number(range.value);
      before.style.clipPath = "inset(0 " + (100 - shown) + "% 0 0)";
      range.setAttribute("aria-valuetext", shown + "% of the damaged input shown");
    }
    range.addEventListener("input", show);
    show();
  });
})();
