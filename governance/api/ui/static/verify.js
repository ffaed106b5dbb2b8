// The verify page's drop zone: files dropped on it go into the form's own file input,
// which stays the control a keyboard or a screen reader uses. Plain script, no framework.
"use strict";
(function () {
  const zone = document.querySelector("[data-drop-zone]");
  const printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  if (!zone) {
    return;
  }
  const input = zone.querySelector("input[type=file]");
  const list = zone.querySelector(".drop-list");
  zone.querySelector(".drop-hint").hidden = false;

  function show(files) {
    list.replaceChildren();
    for (const file of files) {
      const item = document.createElement("li");
      item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
      list.appendChild(item);
    }
  }

  zone.addEventListener("dragover", function (event) {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show(input.files);
    }
  });
  input.addEventListener("change", function () { show(input.files); });
})();
