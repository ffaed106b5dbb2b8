// Regions a conservator marks on the output (the review page's decision form).
// Dragging on the output adds a row of x, y, width, height (in the output's own pixels)
// and a note; rows can be typed, edited and removed with the keyboard. The boxes drawn
// over the output are always redrawn from the rows, which are what the form sends.
"use strict";

(function () {
  const form = document.querySelector("[data-regions-form]");
  if (!form) return;
  const rows = form.querySelector("[data-region-rows]");
  const template = form.querySelector("[data-region-template]");
  const add = form.querySelector("[data-region-add]");
  const stage = form.querySelector("[data-regions-stage]");
  const image = form.querySelector("[data-regions-image]");
  const layer = form.querySelector("[data-regions-layer]");
  let made = rows.querySelectorAll("[data-region-row]").length;

  function fields(row) {
    return {
      x: row.querySelector("[name=region_x]"),
      y: row.querySelector("[name=region_y]"),
      width: row.querySelector("[name=region_width]"),
      height: row.querySelector("[name=region_height]"),
      note: row.querySelector("[name=region_note]"),
    };
  }

  function renumber() {
    rows.querySelectorAll("[data-region-row]").forEach(function (row, index) {
      row.querySelectorAll("[data-region-number]").forEach(function (n) {
        n.textContent = String(index + 1);
      });
    });
    draw();
  }

  function wire(row) {
    const remove = row.querySelector("[data-region-remove]");
    remove.hidden = false;
    remove.addEventListener("click", function () {
      row.remove();
      renumber();
      add.focus();
    });
    row.addEventListener("input", draw);
  }

  function newRow() {
    made += 1;
    const html = template.innerHTML.replace(/-N"/g, "-r" + made + '"');
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const row = holder.firstElementChild;
    rows.appendChild(row);
    wire(row);
    renumber();
    return row;
  }

  function emptyRow() {
    const all = rows.querySelectorAll("[data-region-row]");
    for (const row of all) {
      const f = fields(row);
      if (!f.x.value && !f.y.value && !f.width.value && !f.height.value && !f.note.value) {
        return row;
      }
    }
    return null;
  }

  rows.querySelectorAll("[data-region-row]").forEach(wire);
  add.hidden = false;
  add.addEventListener("click", function () {
    const row = newRow();
    fields(row).x.focus();
  });

  // Output pixels per displayed pixel, on each axis.
  function scale() {
    const box = image.getBoundingClientRect();
    return {
      box: box,
      x: image.naturalWidth / box.width,
      y: image.naturalHeight / box.height,
    };
  }

  function box(left, top, width, height, label) {
    const shown = document.createElement("div");
    shown.className = "region-box";
    shown.style.left = left + "px";
    shown.style.top = top + "px";
    shown.style.width = width + "px";
    shown.style.height = height + "px";
    if (label) shown.textContent = label;
    layer.appendChild(shown);
    return shown;
  }

  function draw() {
    if (!layer || !image.naturalWidth) return;
    layer.textContent = "";
    const s = scale();
    rows.querySelectorAll("[data-region-row]").forEach(function (row, index) {
      const f = fields(row);
      const values = [f.x, f.y, f.width, f.height].map(function (input) {
        return Number(input.value);
      });
      if (values.some(function (v) { return !Number.isFinite(v); }) || !values[2] || !values[3]) {
        return;
      }
      box(values[0] / s.x, values[1] / s.y, values[2] / s.x, values[3] / s.y, String(index + 1));
    });
  }

  if (!stage || !image) return;
  if (image.complete) draw(); else image.addEventListener("load", draw);
  window.addEventListener("resize", draw);

  let start = null;
  let dragged = null;

  function at(event) {
    const s = scale();
    const clamp = function (v, max) { return Math.min(Math.max(v, 0), max); };
    return {
      x: clamp(event.clientX - s.box.left, s.box.width),
      y: clamp(event.clientY - s.box.top, s.box.height),
    };
  }

  layer.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    layer.setPointerCapture(event.pointerId);
    start = at(event);
    dragged = box(start.x, start.y, 0, 0, "");
  });
  layer.addEventListener("pointermove", function (event) {
    if (start === null) return;
    const now = at(event);
    dragged.style.left = Math.min(start.x, now.x) + "px";
    dragged.style.top = Math.min(start.y, now.y) + "px";
    dragged.style.width = Math.abs(now.x - start.x) + "px";
    dragged.style.height = Math.abs(now.y - start.y) + "px";
  });
  function end(event) {
    if (start === null) return;
    const now = at(event);
    const s = scale();
    const x0 = Math.floor(Math.min(start.x, now.x) * s.x);
    const y0 = Math.floor(Math.min(start.y, now.y) * s.y);
    const x1 = Math.min(Math.ceil(Math.max(start.x, now.x) * s.x), image.naturalWidth);
    const y1 = Math.min(Math.ceil(Math.max(start.y, now.y) * s.y), image.naturalHeight);
    start = null;
    if (x1 - x0 < 2 || y1 - y0 < 2) { draw(); return; } // a click, not a region
    const row = emptyRow() || newRow();
    const f = fields(row);
    f.x.value = String(x0);
    f.y.value = String(y0);
    f.width.value = String(x1 - x0);
    f.height.value = String(y1 - y0);
    draw();
    f.note.focus();
  }
  layer.addEventListener("pointerup", end);
  layer.addEventListener("pointercancel", function () { start = null; draw(); });
})();
