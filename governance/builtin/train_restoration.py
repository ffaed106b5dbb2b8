"""Train the built-in restoration model: `python -m governance.builtin.train_restoration`.

Fully seeded: the same command on the same software gives the same weights. Trains only on
the photographs not held out for the benchmark, with masks from `damage_mask`, and takes
about a quarter of an hour on two CPU cores with the defaults.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from governance.builtin.damage import damage_mask
from governance.builtin.inpainting import DEFAULT_CONFIG, InpaintNet, save_weights, weights_path
from governance.builtin.photos import RESTORATION_TRAINING, load_photo

SEED = 20240601
PATCH = 96
MASK_BANK = 768
MASK_SIDE = 224
# Most training photographs are grey; colour ones are drawn more often so the model
# sees as much colour as the (colour) photographs it will mostly restore.
COLOUR_SHARE = 0.5


def pyramid(image: np.ndarray) -> list[torch.Tensor]:
    """The photograph at a few scales, as 3 x H x W float tensors in [0, 1]."""
    out = []
    for scale in (1.0, 0.7, 0.5, 0.35):
        h, w = round(image.shape[0] * scale), round(image.shape[1] * scale)
        if min(h, w) < PATCH:
            break
        resized = Image.fromarray(image).resize((w, h), Image.Resampling.LANCZOS)
        out.append(torch.from_numpy(np.array(resized)).permute(2, 0, 1).float().div(255.0))
    return out


def is_grey(image: np.ndarray) -> bool:
    return bool(np.array_equal(image[:, :, 0], image[:, :, 1])) and bool(
        np.array_equal(image[:, :, 1], image[:, :, 2])
    )


def random_view(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """One of the eight flips/transposes: damage and photographs have no preferred axis."""
    if rng.random() < 0.5:
        x = x.flip(-1)
    if rng.random() < 0.5:
        x = x.flip(-2)
    if rng.random() < 0.5:
        x = x.transpose(-1, -2)
    return x


def crop(x: torch.Tensor, rng: np.random.Generator, side: int) -> torch.Tensor:
    y0 = int(rng.integers(0, x.shape[-2] - side + 1))
    x0 = int(rng.integers(0, x.shape[-1] - side + 1))
    return x[..., y0 : y0 + side, x0 : x0 + side]


def batch(
    colour: list[list[torch.Tensor]],
    grey: list[list[torch.Tensor]],
    masks: torch.Tensor,
    rng: np.random.Generator,
    size: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    targets, holes = [], []
    for _ in range(size):
        group = colour if rng.random() < COLOUR_SHARE else grey
        scales = group[int(rng.integers(len(group)))]
        patch = random_view(crop(scales[int(rng.integers(len(scales)))], rng, PATCH), rng)
        if group is colour:
            patch = patch[torch.from_numpy(rng.permutation(3))]
        targets.append(patch)
        hole = random_view(crop(masks[int(rng.integers(len(masks)))], rng, PATCH), rng)
        holes.append(hole)
    target = torch.stack(targets)
    mask = torch.stack(holes)[:, None].float()
    return torch.cat([target * (1.0 - mask), mask], dim=1), target


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the damaged pixels only: the rest is composited back."""
    return ((pred - target).abs() * mask).sum() / (3.0 * mask.sum() + 1.0)


def train(steps: int, batch_size: int, out: Path, lr: float) -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    try:
        torch.use_deterministic_algorithms(True)
    except RuntimeError as exc:  # some builds lack deterministic kernels; say so, go on
        print(f"deterministic algorithms unavailable: {exc}")
    started = time.monotonic()
    colour: list[list[torch.Tensor]] = []
    grey: list[list[torch.Tensor]] = []
    for name in RESTORATION_TRAINING:
        image = load_photo(name)
        (grey if is_grey(image) else colour).append(pyramid(image))
    masks = torch.from_numpy(
        np.stack([damage_mask(rng, MASK_SIDE, MASK_SIDE) for _ in range(MASK_BANK)])
    )
    print(
        f"{len(colour)} colour and {len(grey)} grey photographs, {MASK_BANK} masks, "
        f"ready in {time.monotonic() - started:.0f}s"
    )
    model = InpaintNet(**DEFAULT_CONFIG)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        # 5% warm-up; short test runs need a few warm-up steps or the schedule divides by 0.
        optimiser,
        max_lr=lr,
        total_steps=steps,
        pct_start=max(0.05, min(0.5, 3 / steps)),
    )
    running: list[float] = []
    for step in range(1, steps + 1):
        x, target = batch(colour, grey, masks, rng, batch_size)
        loss = masked_l1(model(x), target, x[:, 3:4])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        running.append(float(loss.detach()))
        if step % 100 == 0 or step == steps:
            elapsed = time.monotonic() - started
            print(
                f"step {step}/{steps} masked L1 {np.mean(running):.4f} {elapsed:.0f}s", flush=True
            )
            running = []
    meta = {
        "seed": SEED,
        "steps": steps,
        "batch": batch_size,
        "patch": PATCH,
        "photographs": list(RESTORATION_TRAINING),
    }
    save_weights(model, DEFAULT_CONFIG, out, meta)
    print(
        f"saved {out} ({out.stat().st_size / 1e6:.2f} MB) after {time.monotonic() - started:.0f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1400)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out", type=Path, default=weights_path())
    args = parser.parse_args()
    if args.steps < 10:
        parser.error("--steps must be at least 10")
    train(args.steps, args.batch, args.out, args.lr)


if __name__ == "__main__":
    main()
