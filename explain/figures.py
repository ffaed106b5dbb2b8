"""PNG figures: maps over the photograph with a colour bar, drawn with PIL alone."""

import numpy as np
from PIL import Image, ImageDraw

from explain.canonical import png_bytes

# Anchors of a perceptually ordered dark-blue -> yellow scale (viridis-like).
_ANCHORS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64
)


def colours(values: np.ndarray) -> np.ndarray:
    """values in [0, 1] -> uint8 RGB."""
    position = np.clip(values, 0.0, 1.0) * (len(_ANCHORS) - 1)
    low = np.floor(position).astype(int).clip(0, len(_ANCHORS) - 2)
    t = (position - low)[..., None]
    rgb = _ANCHORS[low] * (1 - t) + _ANCHORS[low + 1] * t
    return np.asarray(rgb.round().astype(np.uint8))


def log_scale(values: np.ndarray, decades: float = 3.0) -> tuple[np.ndarray, float]:
    """|values| on a log scale over `decades` below the maximum -> [0, 1], and the maximum."""
    magnitude = np.abs(values)
    top = float(magnitude.max())
    if top <= 0:
        return np.zeros_like(magnitude), 0.0
    scaled = (np.log10(np.maximum(magnitude / top, 10**-decades)) + decades) / decades
    return scaled, top


def overlay(image: np.ndarray, scaled: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The colour map laid over a grey copy of the photograph, opaque where `weight` is 1."""
    grey = image.astype(np.float64).mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.6
    alpha = np.clip(weight, 0.0, 1.0)[..., None]
    mixed = grey * (1 - alpha) + colours(scaled).astype(np.float64) * alpha
    return np.asarray(mixed.round().astype(np.uint8))


def colour_bar(low: str, high: str, title: str, width: int = 256) -> bytes:
    bar = colours(np.linspace(0, 1, width))[None].repeat(14, axis=0)
    canvas = Image.new("RGB", (width, 44), "white")
    canvas.paste(Image.fromarray(bar), (0, 16))
    draw = ImageDraw.Draw(canvas)
    draw.text((0, 2), title, fill="black")
    draw.text((0, 31), low, fill="black")
    draw.text((width - 6 * len(high), 31), high, fill="black")
    return png_bytes(np.asarray(canvas))


def map_figure(image: np.ndarray, values: np.ndarray) -> bytes:
    scaled, _ = log_scale(values)
    return png_bytes(overlay(image, scaled, np.where(scaled > 0, 0.85, 0.0)))


def linear_figure(image: np.ndarray, values: np.ndarray, top: float) -> bytes:
    scaled = np.clip(values / top, 0.0, 1.0) if top > 0 else np.zeros_like(values)
    return png_bytes(overlay(image, scaled, np.where(values > 0, 0.9, 0.0)))


def changed_figure(
    image: np.ndarray, mask: np.ndarray, levels: np.ndarray, watermark: int
) -> bytes:
    """Grey photograph; mask changes blue, outside changes within the watermark's levels
    yellow, beyond them red."""
    grey = image.astype(np.float64).mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.5
    out = grey.round().astype(np.uint8)
    out[mask & (levels > 0)] = (40, 110, 255)
    outside = ~mask & (levels > 0)
    out[outside & (levels <= watermark)] = (250, 220, 40)
    out[outside & (levels > watermark)] = (240, 30, 30)
    return png_bytes(out)
