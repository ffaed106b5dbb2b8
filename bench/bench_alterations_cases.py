"""Copies and edited copies of a work with their exact geometry, for altered-copy checks.

A transform is a chain of steps; each geometric step returns its 3x3 pixel map (work
pixel -> copy pixel, OpenCV's pixel-centre convention), so the query -> work homography
is exact and nothing depends on the matcher. An edit returns the edited work and the
mask of what it changed. Shared by bench/bench_alterations.py and the tests.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from rights.alterations_align import resize_matrix

Step = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
EYE = np.eye(3)


@dataclass(frozen=True)
class Copy:
    image: np.ndarray
    query_to_work: np.ndarray
    work_to_query: np.ndarray


def load(name: str, longest: int = 0) -> np.ndarray:
    """A bundled scikit-image picture as RGB uint8, its longer side at most `longest`."""
    import skimage.data

    if name.startswith("motorcycle"):
        picture = skimage.data.stereo_motorcycle()[0 if name == "motorcycle" else 1]
    else:
        picture = getattr(skimage.data, name)()
    image = Image.fromarray(np.asarray(picture)).convert("RGB")
    if longest and max(image.size) > longest:
        scale = longest / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image)


# Geometric and photometric steps ---------------------------------------------------


def jpeg(quality: int) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality)
        return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")), EYE

    return step


def resize(factor: float) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        size = (max(8, round(w * factor)), max(8, round(h * factor)))
        out = Image.fromarray(image).resize(size, Image.Resampling.LANCZOS)
        return np.asarray(out), resize_matrix((w, h), size)

    return step


def rotate(degrees: float, expand: bool = True) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        matrix = np.vstack(
            [cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0), [0, 0, 1]]
        )
        size = (w, h)
        if expand:
            corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]]).T
            mapped = (matrix @ corners)[:2]
            low = mapped.min(axis=1)
            matrix = np.array([[1, 0, -low[0]], [0, 1, -low[1]], [0, 0, 1]]) @ matrix
            high = np.ceil(mapped.max(axis=1) - low).astype(int) + 1
            size = (int(high[0]), int(high[1]))
        out = cv2.warpAffine(image, matrix[:2], size, flags=cv2.INTER_CUBIC, borderValue=(0, 0, 0))
        return out, matrix

    return step


def crop(left: float, top: float, right: float, bottom: float) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        x0, y0 = round(w * left), round(h * top)
        x1, y1 = w - round(w * right), h - round(h * bottom)
        return image[y0:y1, x0:x1].copy(), np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]])

    return step


def pad(fraction: float, colour: tuple[int, int, int]) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        dy, dx = round(h * fraction), round(w * fraction)
        out = np.empty((h + 2 * dy, w + 2 * dx, 3), np.uint8)
        out[:] = colour
        out[dy : dy + h, dx : dx + w] = image
        return out, np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1.0]])

    return step


def tone(brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = image.astype(np.float64) / 255
        x = np.clip((x - 0.5) * contrast + 0.5 + brightness, 0, 1) ** gamma
        return np.rint(x * 255).astype(np.uint8), EYE

    return step


def grey(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(Image.fromarray(image).convert("L").convert("RGB")), EYE


def saturation(factor: float) -> Step:
    def step(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        out = luma[..., None] + (image - luma[..., None]) * factor
        return np.clip(np.rint(out), 0, 255).astype(np.uint8), EYE

    return step


def apply(image: np.ndarray, steps: list[Step]) -> Copy:
    matrix = EYE
    for step in steps:
        image, moved = step(image)
        matrix = moved @ matrix
    return Copy(image, np.linalg.inv(matrix), matrix)


def misregistered(
    query_to_work: np.ndarray,
    query_shape: tuple[int, ...],
    rng: np.random.Generator,
    error: tuple[float, float],
) -> np.ndarray:
    """The homography with each query corner's image moved `error` work pixels at random."""
    h, w = query_shape[:2]
    corners = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    mapped = cv2.perspectiveTransform(corners[None], query_to_work)[0]
    angle = rng.uniform(0, 2 * np.pi, 4)
    length = rng.uniform(*error, 4)
    moved = mapped + np.stack([np.cos(angle), np.sin(angle)], axis=1) * length[:, None]
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
