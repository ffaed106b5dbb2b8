"""Local edits of a work, each with the mask of what it changed.

An edit is placed at random; a placement that changes too little to be an alteration
(blurring or inpainting a flat sky changes nothing a viewer could see) is drawn again,
up to TRIES times, and counted; an edit no placement makes visible is not made. "Too
little": the mean over the edit's mask of the largest channel change is under
MIN_CHANGE grey levels.
"""

from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

Edit = Callable[
    [np.random.Generator, np.ndarray, float, list[np.ndarray]], tuple[np.ndarray, np.ndarray]
]
MIN_CHANGE = 8.0
TRIES = 30
WORDS = ("FAKE", "SALE", "Museum", "copy", "2024", "news", "ART", "photo", "Exclusive", "look")


def _box(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    fraction: float,
    aspect: tuple[float, float] = (0.5, 2.0),
) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    ratio = float(np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1]))))
    area = fraction * h * w
    bw = int(min(w - 2, max(4, round(np.sqrt(area * ratio)))))
    bh = int(min(h - 2, max(4, round(area / bw))))
    x = int(rng.integers(0, w - bw + 1))
    y = int(rng.integers(0, h - bh + 1))
    return x, y, bw, bh


def _ellipse(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, bw, bh = box
    mask = np.zeros(shape[:2], np.uint8)
    # an ellipse covers pi/4 of its box: widen the box so the edit keeps its area
    grow = 2 / np.sqrt(np.pi)
    centre = (round(x + bw / 2), round(y + bh / 2))
    axes = (max(2, round(bw * grow / 2)), max(2, round(bh * grow / 2)))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    return mask > 0


def _rect(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, bw, bh = box
    mask = np.zeros(shape[:2], bool)
    mask[y : y + bh, x : x + bw] = True
    return mask


def _feathered(image: np.ndarray, changed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.5)[..., None]
    out = image * (1 - alpha) + changed.astype(np.float32) * alpha
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def paste(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    x, y, bw, bh = box = _box(rng, image.shape, fraction)
    donor = donors[int(rng.integers(len(donors)))]
    if donor.shape[0] < bh or donor.shape[1] < bw:
        donor = cv2.resize(donor, (max(bw, donor.shape[1]), max(bh, donor.shape[0])))
    dx = int(rng.integers(0, donor.shape[1] - bw + 1))
    dy = int(rng.integers(0, donor.shape[0] - bh + 1))
    out = image.copy()
    out[y : y + bh, x : x + bw] = donor[dy : dy + bh, dx : dx + bw]
    return out, _rect(image.shape, box)


def inpaint(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    mask = _ellipse(image.shape, _box(rng, image.shape, fraction))
    filled = cv2.inpaint(image, mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    out = image.copy()
    out[mask] = filled[mask]
    return out, mask


def blur(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    mask = _ellipse(image.shape, _box(rng, image.shape, fraction))
    sigma = max(3.0, 0.012 * max(image.shape[:2]))
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return _feathered(image.astype(np.float32), blurred, mask), mask


def clone(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    x, y, bw, bh = box = _box(rng, image.shape, fraction)
    h, w = image.shape[:2]
    for _ in range(50):
        sx = int(rng.integers(0, w - bw + 1))
        sy = int(rng.integers(0, h - bh + 1))
        if abs(sx - x) >= bw or abs(sy - y) >= bh:
            break
    out = image.copy()
    out[y : y + bh, x : x + bw] = image[sy : sy + bh, sx : sx + bw]
    return out, _rect(image.shape, box)


def recolour(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    mask = _ellipse(image.shape, _box(rng, image.shape, fraction))
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + int(rng.integers(45, 136))) % 180  # OpenCV hue: 0-179
    hsv[..., 1] = np.maximum(hsv[..., 1], 110)  # grey parts get a colour too
    changed = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    return _feathered(image.astype(np.float32), changed, mask), mask


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def text(
    rng: np.random.Generator, image: np.ndarray, fraction: float, donors: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    words = " ".join(WORDS[int(i)] for i in rng.integers(0, len(WORDS), 2))
    lines = int(rng.integers(1, 3))
    content = "\n".join([words] * lines)
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    # grow the font until the text's box covers the wanted share of the picture
    size = 8
    while True:
        left, top, right, bottom = draw.multiline_textbbox((0, 0), content, font=_font(size + 2))
        if (right - left) * (bottom - top) > fraction * h * w or right - left > w - 4:
            break
        size += 2
    left, top, right, bottom = draw.multiline_textbbox((0, 0), content, font=_font(size))
    tw, th = right - left, bottom - top
    x = int(rng.integers(0, max(1, w - tw))) - left
    y = int(rng.integers(0, max(1, h - th))) - top
    region = image[max(0, y + top) : y + bottom, max(0, x + left) : x + right]
    colour = (0, 0, 0) if region.mean() > 110 else (255, 255, 255)
    draw.multiline_text((x, y), content, font=_font(size), fill=colour)
    out = np.asarray(canvas)
    changed = np.abs(out.astype(np.int16) - image).max(axis=2) > 0
    box = np.zeros((h, w), bool)
    ys, xs = np.nonzero(changed)
    if ys.size:
        box[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
    return out, box


EDITS: dict[str, Edit] = {
    "paste": paste,
    "inpaint": inpaint,
    "blur": blur,
    "clone": clone,
    "recolour": recolour,
    "text": text,
}


def change(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> float:
    delta = np.abs(after.astype(np.int16) - before).max(axis=2)
    return float(delta[mask].mean()) if mask.any() else 0.0


def visible_edit(
    rng: np.random.Generator,
    kind: str,
    image: np.ndarray,
    fraction: float,
    donors: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The edit, placed where it changes the picture, and how many placements it took;
    None when no placement does (blurring a smooth colour wheel changes next to nothing).
    """
    for attempt in range(1, TRIES + 1):
        edited, mask = EDITS[kind](rng, image, fraction, donors)
        if change(image, edited, mask) >= MIN_CHANGE:
            return edited, mask, attempt
    return None


# Overlays that are alterations too: they must be reported as regions --------------


def caption(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    band = max(10, round(h * rng.uniform(0.07, 0.12)))
    top = h - band if rng.random() < 0.7 else 0
    out = image.copy()
    shade = 0 if rng.random() < 0.5 else 255
    out[top : top + band] = shade
    canvas = Image.fromarray(out)
    ImageDraw.Draw(canvas).text(
        (band // 3, top + band // 6),
        "Breaking: museum sells its collection",
        font=_font(round(band * 0.6)),
        fill=255 - shade,
    )
    mask = np.zeros((h, w), bool)
    mask[top : top + band] = True
    return np.asarray(canvas), mask


def logo(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    side = max(12, round(min(h, w) * rng.uniform(0.12, 0.18)))
    x = 4 if rng.random() < 0.5 else w - side - 4
    y = 4 if rng.random() < 0.5 else h - side - 4
    canvas = Image.fromarray(image.copy())
    draw = ImageDraw.Draw(canvas)
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    draw.ellipse((x, y, x + side, y + side), fill=colour, outline=(255, 255, 255), width=2)
    draw.text((x + side // 5, y + side // 3), "TV", font=_font(side // 3), fill=(255, 255, 255))
    mask = np.zeros((h, w), bool)
    mask[y : y + side + 1, x : x + side + 1] = True
    return np.asarray(canvas), mask


def frame(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    width = max(4, round(min(h, w) * rng.uniform(0.03, 0.06)))
    out = image.copy()
    colour = rng.integers(0, 256, 3).astype(np.uint8)
    mask = np.ones((h, w), bool)
    mask[width:-width, width:-width] = False
    out[mask] = colour
    return out, mask


OVERLAYS = {"caption": caption, "logo": logo, "frame": frame}
