// Painting a restoration's mask over the chosen image (the new-call page).
// The canvas has the image's own pixel size; strokes are drawn on it in red and sent as
// a black-and-white PNG (white = damaged) in the form's hidden file input. The keyboard
// alternative is the mask file input beside it: choosing a file there clears the painting.
"use strict";

(function () {
  const form = document.getElementById("restore-form");
  if (!form) return;
  const painter = form.querySelector("[data-painter]");
  const waiting = form.querySelector("[data-painter-waiting]");
  const image = form.querySelector("[data-painter-image]");
  const canvas = form.querySelector("[data-painter-canvas]");
  const brush = form.querySelector("[data-painter-brush]");
  const brushValue = form.querySelector("[data-painter-brush-value]");
  const clear = form.querySelector("[data-painter-clear]");
  const status = form.querySelector("[data-painter-status]");
  const output = form.querySelector("[data-painter-output]");
  const upload = form.querySelector("[data-painter-upload]");
  const source = document.getElementById("restore-file");
  const context = canvas.getContext("2d");
  let painted = false;
  let pending = null; // the PNG being made from the latest strokes
  let last = null;
  let objectUrl = null;

  function say(text) { status.textContent = text; }

  function reset() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    painted = false;
    pending = null;
    output.value = "";
    say("Nothing painted yet.");
  }

  source.addEventListener("change", function () {
    const file = source.files && source.files[0];
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    if (!file) { painter.hidden = true; waiting.hidden = false; return; }
    objectUrl = URL.createObjectURL(file);
    image.onload = function () {
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      reset();
      painter.hidden = false;
      waiting.hidden = true;
    };
    image.onerror = function () {
      painter.hidden = true;
      waiting.hidden = false;
      waiting.textContent = "This browser cannot show that file to paint on: upload a mask file instead.";
    };
    image.src = objectUrl;
  });

  brush.addEventListener("input", function () { brushValue.textContent = brush.value; });
  clear.addEventListener("click", reset);

  upload.addEventListener("change", function () {
    if (upload.files && upload.files.length && painted) {
      reset();
      say("The uploaded mask file is used; the painting was cleared.");
    }
  });

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * canvas.width / box.width,
      y: (event.clientY - box.top) * canvas.height / box.height,
    };
  }

  function stroke(from, to) {
    context.strokeStyle = "#ff0000";
    context.fillStyle = "#ff0000";
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = Number(brush.value);
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    if (upload.value) upload.value = ""; // one mask: the painting replaces a chosen file
    last = point(event);
    stroke(last, last);
    painted = true;
  });
  canvas.addEventListener("pointermove", function (event) {
    if (last === null) return;
    const next = point(event);
    stroke(last, next);
    last = next;
  });
  function end() {
    if (last === null) return;
    last = null;
    pending = toMask();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  // The painting as the mask the service reads: white where painted, black elsewhere.
  function toMask() {
    const width = canvas.width, height = canvas.height;
    const strokes = context.getImageData(0, 0, width, height).data;
    const mask = document.createElement("canvas");
    mask.width = width;
    mask.height = height;
    const maskContext = mask.getContext("2d");
    const pixels = maskContext.createImageData(width, height);
    let marked = 0;
    for (let i = 0; i < strokes.length; i += 4) {
      const value = strokes[i + 3] > 127 ? 255 : 0;
      if (value) marked += 1;
      pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = value;
      pixels.data[i + 3] = 255;
    }
    maskContext.putImageData(pixels, 0, 0);
    return new Promise(function (resolve) {
      mask.toBlob(function (blob) {
        const transfer = new DataTransfer();
        transfer.items.add(new File([blob], "painted-mask.png", { type: "image/png" }));
        output.files = transfer.files;
        say(marked + " pixels marked as damaged.");
        resolve();
      }, "image/png");
    });
  }

  form.addEventListener("submit", function (event) {
    if (!painted || pending === null) return;
    // The PNG of the last strokes may still be in the making: send once it is in the form.
    event.preventDefault();
    const made = pending;
    pending = null;
    made.then(function () { form.submit(); });
  });
})();
