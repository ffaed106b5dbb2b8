"""Plain-function models for the `python:` adapter tests, one per outcome to check."""

import time
from collections.abc import Callable

import numpy as np
from PIL import Image

NOT_CALLABLE = 42


def blur_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A 3x3 box blur inside the mask; a well-behaved restorer leaves the rest alone."""
    padded = np.pad(image.astype(np.float32), ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = image.shape[:2]
    total = sum(padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3))
    blurred = np.rint(total / 9.0).astype(np.uint8)
    return np.where(mask[..., None], blurred, image)


def gradient_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    """Float output in [0, 1]: a horizontal ramp whose colour depends on seed and prompt."""
    rng = np.random.default_rng([seed, len(prompt)])
    colour = rng.random(3)
    ramp = np.linspace(0.0, 1.0, width)[None, :, None]
    return np.broadcast_to(ramp * colour, (height, width, 3)).copy()


def grey_generate(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """A greyscale PIL image, which the adapter must turn into RGB."""
    return Image.new("L", (width, height), color=seed % 256)


def overbright_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 1.5)


def wrong_size_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return image[:-1]


def raising_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    raise RuntimeError("the varnish layer is unreadable")


def slow_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    time.sleep(2)
    return image


def returns_none(image: np.ndarray, mask: np.ndarray) -> None:
    return None


def scribbling_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Writes into its argument: the original pixels must survive anyway."""
    image[mask] = 255
    return image


def brightness_detector(image: np.ndarray) -> float:
    """A 'synthetic image' score that is only the mean brightness: enough to test wiring."""
    return float(image.mean()) / 255.0


def photo_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    """A real photograph at the asked size: texture like a model's, for the watermark."""
    from skimage import data

    source = Image.fromarray(data.astronaut() if seed % 2 == 0 else data.coffee())
    return np.asarray(source.resize((width, height), Image.Resampling.LANCZOS))


# Called while `probing_generate` runs, to see what the request holds meanwhile.
DURING_RUN: list[Callable[[], object]] = []


def probing_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    for probe in DURING_RUN:
        probe()
    return gradient_generate(prompt, seed, width, height)
