"""Test material for bench_detector.py, and the baseline it is compared with.

Test images are 256 px regions of held-out photographs (real) and AI-made images made
from other regions of the same photographs, or sampled by the built-in generator for
their class: never a crop of a photograph, or a fake made from one, that was trained on.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from governance.builtin.damage import damage_mask
from governance.builtin.detector import grey_crops
from governance.builtin.detector_data import (
    FAKE_KINDS,
    jpeg,
    make_fake,
    photo_pixels,
    random_crop,
    rescale,
)
from governance.builtin.inpainting import BuiltinInpainter
from governance.builtin.train_detector import Sources

SIDE = 256
CONDITIONS = ("clean", "jpeg_q75", "rescale_0.75", "rescale_0.75+jpeg_q75")


@dataclass(frozen=True)
class TestImage:
    pixels: np.ndarray
    synthetic: bool
    kind: str  # "real", a fake kind, or "restored"
    photo: str


def held_out_images(
    names: tuple[str, ...], sources: Sources, seed: int, real: int, per_kind: int
) -> list[TestImage]:
    """Per photograph: `real` regions, and `per_kind` fakes of each kind from others."""
    rng = np.random.default_rng(seed)
    out: list[TestImage] = []
    for name in names:
        photo = photo_pixels(name)
        side = min(SIDE, *photo.shape[:2])
        for _ in range(real):
            out.append(TestImage(random_crop(photo, rng, side), False, "real", name))
        for kind in FAKE_KINDS:
            for _ in range(per_kind):
                region = random_crop(photo, rng, side)
                fake = make_fake(kind, region, rng, sources.decoder, sources.samples[name])
                out.append(
                    TestImage(random_crop(fake, rng, min(side, *fake.shape[:2])), True, kind, name)
                )
    return out


def restored_images(names: tuple[str, ...], seed: int, count: int) -> list[TestImage]:
    """Regions damaged by `damage_mask` and filled by the built-in restorer: only the
    masked pixels (a few percent) are AI-made."""
    rng = np.random.default_rng(seed)
    restorer = BuiltinInpainter.load()
    out = []
    for name in names:
        photo = photo_pixels(name)
        side = min(SIDE, *photo.shape[:2])
        for _ in range(count):
            region = random_crop(photo, rng, side)
            mask = damage_mask(rng, *region.shape[:2])
            damaged = np.where(mask[:, :, None], np.uint8(0), region).astype(np.uint8)
            out.append(TestImage(restorer.restore(damaged, mask), True, "restored", name))
    return out


def condition(pixels: np.ndarray, name: str) -> np.ndarray:
    """The image as a test condition leaves it (on the whole test image)."""
    if name.startswith("rescale_0.75"):
        pixels = rescale(pixels, 0.75)
    if name.endswith("jpeg_q75"):
        pixels = jpeg(pixels, 75)
    return pixels


# The baseline of ../shared/screening-notes.md: grey FFT, log power, 48-bin azimuthal
# mean, logistic regression, trained on the same augmented crops.
BASELINE_BINS = 48


def durall(grey: torch.Tensor) -> torch.Tensor:
    b, _, h, _ = grey.shape
    power = torch.fft.fft2(grey[:, 0] - grey[:, 0].mean(dim=(1, 2), keepdim=True)).abs().pow(2)
    f = torch.fft.fftfreq(h)
    radius = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2).flatten()
    index = (radius / radius.max() * BASELINE_BINS).long().clamp(max=BASELINE_BINS - 1)
    sums = torch.zeros(b, BASELINE_BINS).index_add_(1, index, (power + 1e-10).log().reshape(b, -1))
    return sums / torch.bincount(index, minlength=BASELINE_BINS).clamp_min(1)


class Baseline(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(BASELINE_BINS, 1)
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.zeros(BASELINE_BINS))
        self.register_buffer("std", torch.ones(BASELINE_BINS))

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear((durall(grey) - self.mean) / self.std)[:, 0]
        return out


def fit_baseline(grey: torch.Tensor, labels: torch.Tensor, steps: int = 1500) -> Baseline:
    torch.manual_seed(0)
    model = Baseline()
    measured = durall(grey)
    model.mean.copy_(measured.mean(dim=0))
    model.std.copy_(measured.std(dim=0).clamp_min(1e-6))
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    share = float(labels.mean())
    weight = torch.where(labels > 0, 0.5 / share, 0.5 / (1.0 - share))
    for _ in range(steps):
        logits = model.linear((measured - model.mean) / model.std)[:, 0]
        loss = F.binary_cross_entropy_with_logits(logits, labels, weight=weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
    return model.eval()


def image_scorer(
    crop_logits: Callable[[torch.Tensor], torch.Tensor],
) -> Callable[[np.ndarray], float]:
    """An image's score: the mean log-odds over its crops, as the built-in detector does."""

    def score(pixels: np.ndarray) -> float:
        with torch.inference_mode():
            return float(crop_logits(grey_crops(pixels)).mean())

    return score
