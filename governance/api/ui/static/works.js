// The terms form: a use's conditions field is shown only while the use is "allowed with
// conditions" (or already holds text). Without script every field shows. Plain script.
"use strict";
(function () {
  for (const box of document.querySelectorAll("[data-conditions-of]")) {
    const select = document.getElementById(box.dataset.conditionsOf);
    const input = box.querySelector("input");
    if (!select || !input) {
      continue;
    }
    const update = function () {
      box.hidden = select.value !== "constrained" && input.value.trim() === "";
    };
    select.addEventListener("change", update);
    update();
  }
})();
