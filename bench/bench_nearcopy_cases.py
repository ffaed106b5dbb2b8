"""The near-copy bench's material: works, copies in each transform family, distractors.

Two splits, by photograph, fixed before any measurement: `tuning` (thresholds and the
vocabulary are chosen on it: tools/make_nearcopy_vocabulary.py reads TUNING_PHOTOS) and
`heldout` (measured once the choices are made). In each split:

- works: whole photographs, a crop cut from the larger ones as a separate work, and the
  left part (55%) of the photographs whose right part gives distractors; every work is
  at least MIN_WORK_SIDE px on its longer side;
- distractors: crops of those right parts (never overlapping a registered pixel: same
  texture, lighting and camera, so the hardest kind), crops of photographs registered
  nowhere, faces of the LFW subset enlarged, and seeded binary blobs; each is changed by
  one family's transform, as a query would be.

motorcycle_right is left out: it is motorcycle_left seen from a camera a few centimetres
away, a near-copy by any reading.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import skimage.data
from PIL import Image, ImageDraw, ImageOps

WHOLE = {
    "tuning": ["chelsea", "rocket", "retina", "cell"],
    "heldout": ["astronaut", "camera", "coffee", "moon", "motorcycle_left", "ihc"],
}
SPLIT = {"tuning": ["brick", "gravel"], "heldout": ["hubble_deep_field", "grass"]}
UNREGISTERED = {
    "tuning": ["page", "clock", "colorwheel", "horse", "shepp_logan_phantom"],
    "heldout": ["coins", "text"],
}
TUNING_PHOTOS = WHOLE["tuning"] + SPLIT["tuning"] + UNREGISTERED["tuning"]
LEFT_SHARE = 0.55
RIGHT_START = 0.6  # a gap between a registered left part and its distractors
# Every work is at least this long on its longer side, as a collection's scans are: a
# quarter-size copy of it is then 112 px, about the least the local features can use
# (smaller thumbnails are the global hashes' job).
MIN_WORK_SIDE = 448
CROP_FROM = 600  # photographs this long give a crop work too


@dataclass(frozen=True)
class Work:
    name: str
    source: str  # the photograph it was cut from
    image: Image.Image


@dataclass(frozen=True)
class Query:
    family: str
    source: str  # photograph; "" for distractors from nowhere registered
    work: str  # the work it copies; "" for a distractor
    image: Image.Image
    expect: "Expect"


def photo(name: str) -> Image.Image:
    if name == "motorcycle_left":
        left, _, _ = skimage.data.stereo_motorcycle()
        return Image.fromarray(left).convert("RGB")
    loader = getattr(skimage.data, "immunohistochemistry" if name == "ihc" else name)
    array = np.asarray(loader())
    if array.dtype != np.uint8:
        values = array.astype(np.float64)
        span = max(float(values.max() - values.min()), 1e-9)
        array = (255 * (values - values.min()) / span).astype(np.uint8)
    return Image.fromarray(array).convert("RGB")


def works(split: str, seed: int = 0) -> list[Work]:
    rng = np.random.default_rng(seed)
    found = []
    for name in WHOLE[split]:
        image = photo(name)
        found.append(Work(name, name, image))
        if max(image.size) >= CROP_FROM:
            found.append(Work(f"{name}/crop", name, _work_crop(image, rng)))
    for name in SPLIT[split]:
        image = photo(name)
        left = image.crop((0, 0, round(image.width * LEFT_SHARE), image.height))
        found.append(Work(f"{name}/left", name, left))
    return found


def _work_crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A crop whose longer side is MIN_WORK_SIDE to 640 px, at a random place."""
    longest = max(image.size)
    side = rng.uniform(MIN_WORK_SIDE, min(640, 0.85 * longest))
    w = min(image.width, round(side if image.width >= image.height else side * rng.uniform(0.6, 1)))
    h = min(image.height, round(side if image.height > image.width else side * rng.uniform(0.6, 1)))
    x = int(rng.integers(0, image.width - w + 1))
    y = int(rng.integers(0, image.height - h + 1))
    return image.crop((x, y, x + w, y + h))


def _random_crop(
    image: Image.Image, rng: np.random.Generator, low: float, high: float
) -> Image.Image:
    w = round(image.width * rng.uniform(low, high))
    h = round(image.height * rng.uniform(low, high))
    x = int(rng.integers(0, image.width - w + 1))
    y = int(rng.integers(0, image.height - h + 1))
    return image.crop((x, y, x + w, y + h))


def distractor_sources(split: str) -> list[Image.Image]:
    sources = []
    for name in SPLIT[split]:
        image = photo(name)
        sources.append(image.crop((round(image.width * RIGHT_START), 0, image.width, image.height)))
    sources.extend(photo(name) for name in UNREGISTERED[split])
    return sources


def distractors(split: str, count: int, seed: int = 1) -> list[Query]:
    """`count` distractor queries: crops of unregistered pixels, faces, blobs."""
    rng = np.random.default_rng(seed)
    sources = distractor_sources(split)
    faces = skimage.data.lfw_subset()
    face_range = range(0, 100) if split == "tuning" else range(100, 200)
    found = []
    for i in range(count):
        kind = i % 5
        if kind < 3:
            source = sources[int(rng.integers(len(sources)))]
            image = _random_crop(source, rng, 0.4, 1.0)
        elif kind == 3:
            face = faces[face_range[int(rng.integers(len(face_range)))]]
            image = Image.fromarray((face * 255).astype(np.uint8)).resize((200, 200)).convert("RGB")
        else:
            blobs = skimage.data.binary_blobs(
                256,
                blob_size_fraction=float(rng.uniform(0.05, 0.2)),
                rng=int(rng.integers(1 << 30)),
            )
            image = Image.fromarray((blobs * 255).astype(np.uint8)).convert("RGB")
        family = FAMILY_NAMES[i % len(FAMILY_NAMES)]
        changed, expect = FAMILIES[family](image, rng)
        found.append(Query(family, "", "", changed, expect))
    return found


def copies(split: str, per_work: int, seed: int = 2) -> list[Query]:
    rng = np.random.default_rng(seed)
    found = []
    for family in FAMILY_NAMES:
        for work in works(split):
            for _ in range(per_work):
                changed, expect = FAMILIES[family](work.image, rng)
                found.append(Query(family, work.source, work.name, changed, expect))
    return found


# The transforms. Each takes an RGB picture and the bench's generator, and says what the
# matcher should report of it (None where the family does not fix it).
@dataclass(frozen=True)
class Expect:
    rotation: float | None = None  # counterclockwise, as seen
    mirrored: bool | None = None
    inverted: bool | None = None


Transform = Callable[[Image.Image, np.random.Generator], tuple[Image.Image, Expect]]
UPRIGHT = Expect(0.0, False, False)


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _jpeg30(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    return jpeg(image, 30), UPRIGHT


def _resize(
    image: Image.Image, rng: np.random.Generator, factor: float = 0.25
) -> tuple[Image.Image, Expect]:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.BILINEAR), UPRIGHT


def _crop(
    image: Image.Image, rng: np.random.Generator, most: float = 0.2
) -> tuple[Image.Image, Expect]:
    left, top, right, bottom = rng.uniform(0, most, 4)
    box = (
        round(image.width * left),
        round(image.height * top),
        round(image.width * (1 - right)),
        round(image.height * (1 - bottom)),
    )
    return image.crop(box), UPRIGHT


def _rotate(
    image: Image.Image, rng: np.random.Generator, most: float = 15.0
) -> tuple[Image.Image, Expect]:
    angle = float(rng.uniform(-most, most))
    fill = (0, 0, 0) if rng.random() < 0.5 else (255, 255, 255)
    turned = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    return turned, Expect(angle, False, False)


def _mirror(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    if rng.random() < 0.5:
        return ImageOps.mirror(image), Expect(0.0, True, False)
    return ImageOps.flip(image), Expect(180.0, True, False)  # a flip is a mirror turned


def _turn(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    turns = [
        (Image.Transpose.ROTATE_90, 90.0),
        (Image.Transpose.ROTATE_180, 180.0),
        (Image.Transpose.ROTATE_270, -90.0),
    ]
    turn, angle = turns[int(rng.integers(3))]
    return image.transpose(turn), Expect(angle, False, False)


def _overlay(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    out = image.convert("RGB").copy()
    w, h = out.size
    kind = int(rng.integers(3))
    if kind == 0:  # a caption bar over the bottom or top
        bar = round(h * rng.uniform(0.08, 0.15))
        top = h - bar if rng.random() < 0.5 else 0
        draw = ImageDraw.Draw(out)
        draw.rectangle((0, top, w, top + bar), fill=(255, 255, 255))
        size = max(8, bar // 2)
        caption = "Courtesy of the collection, 1887"
        draw.text((size // 2, top + bar // 4), caption, fill=(0, 0, 0), font_size=size)
    elif kind == 1:  # a logo in a corner
        logo = Image.fromarray(skimage.data.logo())
        side = round(min(w, h) * rng.uniform(0.15, 0.25))
        logo = logo.resize((side, side))
        x = int(rng.choice([0, w - side]))
        y = int(rng.choice([0, h - side]))
        out.paste(logo.convert("RGB"), (x, y), logo.getchannel("A"))
    else:  # a frame over the edges
        border = max(2, round(min(w, h) * rng.uniform(0.03, 0.08)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        ImageDraw.Draw(out).rectangle((0, 0, w - 1, h - 1), outline=colour, width=border)
    return out, UPRIGHT


def _pad(
    image: Image.Image, rng: np.random.Generator, share: float = 0.2
) -> tuple[Image.Image, Expect]:
    dx = round(image.width * share)
    dy = round(image.height * share)
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    return ImageOps.expand(image.convert("RGB"), (dx, dy, dx, dy), fill=colour), UPRIGHT


def _grey_contrast(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    kind = int(rng.integers(3))
    array = np.asarray(image.convert("RGB"), dtype=np.float64)
    if kind == 0:
        return ImageOps.grayscale(image).convert("RGB"), UPRIGHT
    if kind == 1:  # faded: low contrast, lifted
        array = 128 + (array - 128) * rng.uniform(0.3, 0.5) + rng.uniform(0, 40)
    else:  # dark scan: gamma and gain
        array = 255 * (array / 255) ** rng.uniform(1.6, 2.4) * rng.uniform(0.5, 0.8)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)), UPRIGHT


def _invert(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    return ImageOps.invert(image.convert("RGB")), Expect(0.0, False, True)


def _combination(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    """Crop, turn or mirror, shrink, re-encode: how a copy travels."""
    out, _ = _crop(image, rng, 0.15)
    out, _ = _rotate(out, rng, 10.0) if rng.random() < 0.5 else _mirror(out, rng)
    out, _ = _resize(out, rng, float(rng.uniform(0.4, 0.8)))
    return jpeg(out, int(rng.integers(40, 76))), Expect()


def _combination_harsh(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Expect]:
    """All that, and an overlay or a faded, darkened or grey copy on top."""
    out, _ = _crop(image, rng, 0.15)
    out, _ = _rotate(out, rng, 10.0) if rng.random() < 0.5 else _mirror(out, rng)
    out, _ = _overlay(out, rng) if rng.random() < 0.5 else _grey_contrast(out, rng)
    out, _ = _resize(out, rng, float(rng.uniform(0.4, 0.8)))
    return jpeg(out, int(rng.integers(40, 76))), Expect()


FAMILIES: dict[str, Transform] = {
    "jpeg_q30": _jpeg30,
    "resize_25": _resize,
    "crop_20": _crop,
    "rotate_15": _rotate,
    "mirror_flip": _mirror,
    "turn_90_180": _turn,
    "caption_logo_frame": _overlay,
    "pad_20": _pad,
    "grey_contrast": _grey_contrast,
    "inversion": _invert,
    "combination": _combination,
    "combination_harsh": _combination_harsh,
}
FAMILY_NAMES = list(FAMILIES)
