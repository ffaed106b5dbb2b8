"""The images a calibration is fitted and judged on: listed, decoded, split in two."""

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from governance.detectors.errors import TooFewImages, UnreadableImage
from governance.errors import GovernError, InvalidInput
from governance.images import decode_image
from governance.settings import Settings

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}
# Fewer than this many images of a kind, and the held-out half says nothing.
MIN_PER_KIND = 10
# Which images are fitted and which held out depends only on their bytes.
SPLIT_SEED = 20261128


@dataclass(frozen=True)
class CalibrationFile:
    path: Path
    sha256: str
    synthetic: bool


def list_images(directory: Path, synthetic: bool) -> list[CalibrationFile]:
    """The image files directly inside `directory`, by suffix, with their SHA-256."""
    kind = "synthetic" if synthetic else "real"
    if not directory.is_dir():
        raise InvalidInput(f"the {kind} images folder {directory} does not exist")
    paths = sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not paths:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise TooFewImages(f"the {kind} images folder {directory} holds no images ({suffixes})")
    files: dict[str, CalibrationFile] = {}
    for path in paths:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise UnreadableImage(f"{path} cannot be read: {exc}") from None
        # The same bytes twice would count twice, and could land on both sides of the split.
        files.setdefault(digest, CalibrationFile(path, digest, synthetic))
    return list(files.values())


def check_counts(real: list[CalibrationFile], synthetic: list[CalibrationFile], fpr: float) -> None:
    """Refuse sets too small for the figures asked of them."""
    both = {f.sha256 for f in real} & {f.sha256 for f in synthetic}
    if both:
        example = next(f.path for f in synthetic if f.sha256 in both)
        raise InvalidInput(
            f"{len(both)} file(s) are both real and synthetic (the same bytes), e.g. {example}"
        )
    for kind, files in (("real", real), ("synthetic", synthetic)):
        if len(files) < MIN_PER_KIND:
            raise TooFewImages(
                f"{len(files)} distinct {kind} image(s); a calibration needs at least "
                f"{MIN_PER_KIND} of each kind (half are fitted, half held out)"
            )
    # The threshold at a false-positive rate is a quantile of the fitted real scores:
    # it needs enough of them for that quantile to exist.
    needed = math.ceil(1.0 / fpr - 1e-9)
    if fitted_count(len(real)) < needed:
        raise TooFewImages(
            f"{len(real)} distinct real images: a threshold at {fpr:g} false positives "
            f"needs at least {needed} fitted real images, so {2 * needed - 1} in all "
            "(or ask for a larger --fpr)"
        )


def fitted_count(total: int) -> int:
    return (total + 1) // 2


def split(files: list[CalibrationFile]) -> tuple[list[CalibrationFile], list[CalibrationFile]]:
    """(fitted, held out): a seeded shuffle of the files in the order of their hashes."""
    ordered = sorted(files, key=lambda f: f.sha256)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(ordered))
    shuffled = [ordered[i] for i in order]
    cut = fitted_count(len(shuffled))
    return shuffled[:cut], shuffled[cut:]


def files_sha256(files: list[CalibrationFile]) -> str:
    """One digest over the sorted digests of the files: which set was used."""
    return hashlib.sha256("\n".join(sorted(f.sha256 for f in files)).encode()).hexdigest()


def read_pixels(file: CalibrationFile, settings: Settings) -> np.ndarray:
    """The file's full pixels, upright, as uint8 RGB: as a detector sees an upload."""
    try:
        decoded = decode_image(file.path.read_bytes(), settings)
    except GovernError as exc:
        raise UnreadableImage(f"{file.path}: {exc.detail}") from None
    except OSError as exc:
        raise UnreadableImage(f"{file.path} cannot be read: {exc}") from None
    pixels: np.ndarray = np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)
    return pixels
