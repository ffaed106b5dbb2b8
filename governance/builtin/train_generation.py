"""Train the built-in generator: `python -m governance.builtin.train_generation`.

Fully seeded: the same command on the same software gives the same weights. Each class is
one scikit-image photograph, seen as random square crops at random scales, so a class
generates content in the manner of its photograph. About a quarter of an hour on two CPU
cores with the defaults.
"""

import argparse
import copy
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from governance.builtin.diffusion import (
    DEFAULT_CONFIG,
    DiffusionNet,
    alphas_cumprod,
    save_weights,
    weights_path,
)
from governance.builtin.photos import GENERATION_TRAINING, load_photo

SEED = 20240602
CROPS_PER_CLASS = 384
# Photographs are first reduced to this shorter side: crops of 40-100% of it still hold
# more pixels than the 32 x 32 sample, so every crop is downsampled, never blown up.
WORKING_SIDE = 160
UNCONDITIONAL_SHARE = 0.1  # labels dropped to the null class, for classifier-free guidance
EMA_DECAY = 0.995
WARMUP = 100


def crops(name: str, rng: np.random.Generator, count: int, size: int) -> torch.Tensor:
    """`count` random square crops of the photograph, size x size, in [-1, 1]."""
    photo = Image.fromarray(np.asarray(load_photo(name)))
    scale = WORKING_SIDE / min(photo.size)
    if scale < 1:
        working = (round(photo.width * scale), round(photo.height * scale))
        photo = photo.resize(working, Image.Resampling.LANCZOS)
    short = min(photo.size)
    out = []
    for _ in range(count):
        side = int(short * rng.uniform(0.4, 1.0))
        left = int(rng.integers(0, photo.width - side + 1))
        top = int(rng.integers(0, photo.height - side + 1))
        patch = photo.crop((left, top, left + side, top + side))
        patch = patch.resize((size, size), Image.Resampling.LANCZOS)
        out.append(np.array(patch))
    pixels = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float()
    return pixels / 127.5 - 1.0


def train(steps: int, batch_size: int, out: Path, lr: float) -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    try:
        torch.use_deterministic_algorithms(True)
    except RuntimeError as exc:  # some builds lack deterministic kernels; say so, go on
        print(f"deterministic algorithms unavailable: {exc}")
    started = time.monotonic()
    classes = list(GENERATION_TRAINING)
    size = DEFAULT_CONFIG["size"]
    images = torch.cat([crops(name, rng, CROPS_PER_CLASS, size) for name in classes])
    labels = torch.arange(len(classes)).repeat_interleave(CROPS_PER_CLASS)
    ready = time.monotonic() - started
    print(f"{len(classes)} classes, {len(images)} crops, ready in {ready:.0f}s")

    model = DiffusionNet(len(classes), **DEFAULT_CONFIG)
    # Sampling from an exponential moving average of the weights gives cleaner images
    # than the last, noisy step of a short training run.
    ema = copy.deepcopy(model).requires_grad_(False)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)

    def rate(step: int) -> float:
        if step < WARMUP:
            return (step + 1) / WARMUP
        return 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / max(steps - WARMUP, 1)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    alphas = alphas_cumprod(model.timesteps)
    generator = torch.Generator().manual_seed(SEED)
    running: list[float] = []
    for step in range(1, steps + 1):
        pick = torch.from_numpy(rng.integers(0, len(images), batch_size))
        x0, c = images[pick], labels[pick].clone()
        c[torch.from_numpy(rng.random(batch_size) < UNCONDITIONAL_SHARE)] = model.null_class
        t = torch.randint(0, model.timesteps, (batch_size,), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        a = alphas[t][:, None, None, None]
        loss = F.mse_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t, c), noise)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        with torch.no_grad():
            for kept, live in zip(ema.parameters(), model.parameters(), strict=True):
                kept.lerp_(live, 1.0 - EMA_DECAY)
        running.append(float(loss.detach()))
        if step % 100 == 0 or step == steps:
            elapsed = time.monotonic() - started
            mse = np.mean(running)
            print(f"step {step}/{steps} noise MSE {mse:.4f} {elapsed:.0f}s", flush=True)
            running = []
    meta = {"seed": SEED, "steps": steps, "batch": batch_size, "crops_per_class": CROPS_PER_CLASS}
    save_weights(ema, DEFAULT_CONFIG, classes, out, meta)
    megabytes, elapsed = out.stat().st_size / 1e6, time.monotonic() - started
    print(f"saved {out} ({megabytes:.2f} MB) after {elapsed:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1800)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=weights_path())
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    train(args.steps, args.batch, args.out, args.lr)


if __name__ == "__main__":
    main()
