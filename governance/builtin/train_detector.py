"""Train the built-in detector: `python -m governance.builtin.train_detector`.

Fully seeded: the same command on the same software gives the same weights. Learns from
the licensed scikit-image photographs not held out (DETECTOR_TRAINING) and from AI-made
images made from them here (governance/builtin/detector_data.py): re-upsampled by four
interpolations, reconstructed by a small autoencoder trained on them, and the built-in
generator's samples of their classes. About two minutes on two CPU cores.
"""

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from governance.builtin.detector import (
    CROP,
    DetectorNet,
    features,
    grey_crops,
    save_weights,
    weights_path,
)
from governance.builtin.detector_data import (
    FAKE_KINDS,
    Decoder,
    augmented_crop,
    generator_samples,
    make_fake,
    photo_pixels,
    random_crop,
    train_decoder,
)
from governance.builtin.detector_manifest import DETECTOR_HELD_OUT, DETECTOR_TRAINING
from governance.builtin.diffusion import BuiltinGenerator

SEED = 20261128
# Fakes are made from regions of this side, not whole photographs (the retina is 1411
# px): big enough for a crop after shrinking to half.
REGION = 2 * (CROP + 16)
REGIONS_PER_PHOTO = 16
SAMPLES_PER_CLASS = 1
HIDDEN = 32


@dataclass(frozen=True)
class Sources:
    """What the fakes are made with: the decoder and the generator's samples per class."""

    decoder: Decoder
    samples: dict[str, list[np.ndarray]]


def prepare_sources(names: tuple[str, ...], seed: int) -> Sources:
    """The decoder trained on these photographs only; the generator's samples of them."""
    decoder = train_decoder([photo_pixels(n) for n in names], seed)
    samples = generator_samples(BuiltinGenerator.load(), list(names), SAMPLES_PER_CLASS, seed)
    return Sources(decoder, samples)


def regions(name: str, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    photo = photo_pixels(name)
    side = min(REGION, *photo.shape[:2])
    return [random_crop(photo, rng, side) for _ in range(count)]


def training_crops(
    names: tuple[str, ...], sources: Sources, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented grey crops (B x 1 x CROP x CROP) and their labels (1: AI-made): per
    region, real crops, and a crop of a fake of each kind made from the region."""
    rng = np.random.default_rng(seed)
    crops: list[np.ndarray] = []
    labels: list[int] = []
    for name in names:
        for region in regions(name, rng, REGIONS_PER_PHOTO):
            for _ in FAKE_KINDS:  # as many real crops as fakes
                crops.append(augmented_crop(region, rng))
                labels.append(0)
            for kind in FAKE_KINDS:
                fake = make_fake(kind, region, rng, sources.decoder, sources.samples[name])
                crops.append(augmented_crop(fake, rng))
                labels.append(1)
    return torch.cat([grey_crops(c, 1) for c in crops]), torch.tensor(labels, dtype=torch.float32)


def fit_net(measured: torch.Tensor, labels: torch.Tensor, seed: int, steps: int) -> DetectorNet:
    """Full-batch AdamW on the log-loss, the kinds weighted equally."""
    torch.manual_seed(seed)
    net = DetectorNet(measured.shape[1], HIDDEN)
    net.mean.copy_(measured.mean(dim=0))
    net.std.copy_(measured.std(dim=0).clamp_min(1e-6))
    optimiser = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-3)
    share = float(labels.mean())
    weight = torch.where(labels > 0, 0.5 / share, 0.5 / (1.0 - share))
    net.train()
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(net(measured), labels, weight=weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
    return net.eval()


def train_detector(names: tuple[str, ...], seed: int, steps: int) -> DetectorNet:
    sources = prepare_sources(names, seed)
    grey, labels = training_crops(names, sources, seed + 1)
    return fit_net(features(grey), labels, seed + 2, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=weights_path())
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    started = time.monotonic()
    net = train_detector(DETECTOR_TRAINING, SEED, args.steps)
    meta = {
        "seed": SEED,
        "steps": args.steps,
        "trained_on": list(DETECTOR_TRAINING),
        "held_out": list(DETECTOR_HELD_OUT),
        "fakes": list(FAKE_KINDS),
    }
    save_weights(net, args.out, meta)
    kilobytes, elapsed = args.out.stat().st_size / 1e3, time.monotonic() - started
    print(f"saved {args.out} ({kilobytes:.0f} kB) after {elapsed:.0f}s")


if __name__ == "__main__":
    main()
