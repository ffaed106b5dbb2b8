"""The scikit-image sample photographs the built-in models are trained and benchmarked on.

Only photographs bundled inside the installed `skimage/data/` directory are used, so
training, benchmarks and tests never touch the network.
"""

import hashlib
from functools import cache
from pathlib import Path

import numpy as np
import skimage.data

# Photograph name (the `skimage.data` function) -> file shipped in skimage/data/.
PHOTO_FILES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "brick": "brick.png",
    "camera": "camera.png",
    "chelsea": "chelsea.png",
    "clock": "clock_motion.png",
    "coffee": "coffee.png",
    "coins": "coins.png",
    "colorwheel": "color.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "moon": "moon.png",
    "page": "page.png",
    "retina": "retina.jpg",
    "rocket": "rocket.jpg",
    "text": "text.png",
}
ALL_PHOTOS: tuple[str, ...] = tuple(PHOTO_FILES)

# Natural colour photographs with faces, hands, glossy and textured surfaces: the kind of
# content a museum restores, and unseen by the restoration model, so the benchmark on
# them measures generalisation rather than memory.
HELD_OUT: tuple[str, ...] = ("astronaut", "coffee")
# Photographs whose notes grant a licence or dedicate them to the public domain. The
# others (coins, immunohistochemistry, colorwheel, moon, page) state no licence: a model
# trained on them would need review, as any other model would, so the built-ins do not
# learn from them.
LICENSED: tuple[str, ...] = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "grass",
    "gravel",
    "hubble_deep_field",
    "retina",
    "rocket",
    "text",
)
RESTORATION_TRAINING: tuple[str, ...] = tuple(p for p in LICENSED if p not in HELD_OUT)
# The generator has one class per photograph; holding photographs out would only remove
# classes, so it learns from every licensed one.
GENERATION_TRAINING: tuple[str, ...] = LICENSED


def data_dir() -> Path:
    return Path(skimage.data.__file__).parent


def photo_path(name: str) -> Path:
    return data_dir() / PHOTO_FILES[name]


def file_sha256(name: str) -> str:
    """SHA-256 of the photograph's file bytes exactly as shipped in skimage/data/."""
    return hashlib.sha256(photo_path(name).read_bytes()).hexdigest()


@cache
def _load(name: str) -> np.ndarray:
    if name not in PHOTO_FILES:
        raise KeyError(f"unknown photograph '{name}'")
    image = np.asarray(getattr(skimage.data, name)())
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = image[:, :, :3]  # drop alpha where a file has one
    image = np.ascontiguousarray(image, dtype=np.uint8)
    image.setflags(write=False)  # cached and shared: nobody may change it in place
    return image


def load_photo(name: str) -> np.ndarray:
    """The photograph as uint8 HxWx3 RGB (grey ones repeated into three channels)."""
    return _load(name)
