"""The built-in generator: a small class-conditional diffusion model, one class per photograph.

Trained as a DDPM (noise prediction, cosine schedule) on random crops of each scikit-image
photograph, sampled with deterministic DDIM and classifier-free guidance. It produces
small images in the manner of one training photograph, upsampled to the asked size.
"""

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from governance.model_errors import check_deadline

DEFAULT_CONFIG: dict[str, int] = {"size": 32, "width": 48, "timesteps": 1000}
SAMPLING_STEPS = 25
GUIDANCE = 3.0
MAX_SIDE = 8192

# Prompt words -> the photograph (class) whose content they ask for.
VOCABULARY: dict[str, str] = {
    **dict.fromkeys(["astronaut", "astronauts", "spacesuit", "eileen", "collins"], "astronaut"),
    **dict.fromkeys(["brick", "bricks", "brickwork", "wall", "masonry"], "brick"),
    **dict.fromkeys(["camera", "cameraman", "photographer", "tripod"], "camera"),
    **dict.fromkeys(["cat", "cats", "kitten", "kitty", "chelsea", "feline", "tabby"], "chelsea"),
    **dict.fromkeys(["clock", "clocks", "timepiece", "clockface"], "clock"),
    **dict.fromkeys(["coffee", "cup", "mug", "espresso", "latte", "cappuccino"], "coffee"),
    **dict.fromkeys(["coin", "coins", "money", "currency", "numismatic", "pompeii"], "coins"),
    **dict.fromkeys(
        ["colorwheel", "colourwheel", "wheel", "rainbow", "spectrum", "hue", "hues"], "colorwheel"
    ),
    **dict.fromkeys(["grass", "lawn", "meadow", "turf"], "grass"),
    **dict.fromkeys(["gravel", "pebble", "pebbles", "stones", "shingle"], "gravel"),
    **dict.fromkeys(
        ["galaxy", "galaxies", "stars", "star", "hubble", "universe", "cosmos", "nebula"],
        "hubble_deep_field",
    ),
    **dict.fromkeys(
        ["tissue", "cells", "histology", "stained", "microscopy", "immunohistochemistry", "ihc"],
        "immunohistochemistry",
    ),
    **dict.fromkeys(["moon", "lunar", "crater", "craters"], "moon"),
    **dict.fromkeys(["page", "book", "document", "manuscript", "paper", "printed"], "page"),
    **dict.fromkeys(["retina", "eye", "eyes", "fundus", "ophthalmology"], "retina"),
    **dict.fromkeys(["rocket", "launch", "falcon", "spacex", "liftoff", "spaceship"], "rocket"),
    **dict.fromkeys(["text", "letters", "lettering", "writing", "typography"], "text"),
}
_WORD = re.compile(r"[a-z0-9]+")


def weights_path() -> Path:
    """The committed weights file the default model is loaded from."""
    return Path(__file__).parent / "weights" / "generation.pt"


def alphas_cumprod(timesteps: int) -> torch.Tensor:
    """Cosine schedule (Nichol & Dhariwal): noise grows evenly in signal-to-noise terms."""
    s = 0.008
    t = torch.linspace(0, timesteps, timesteps + 1, dtype=torch.float64) / timesteps
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0).float()


def _timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class _ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(8, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb, c_out)
        self.norm2 = nn.GroupNorm(8, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        out: torch.Tensor = self.skip(x) + h
        return out


class DiffusionNet(nn.Module):
    """Predicts the noise in a B x 3 x S x S image at timestep t for class c (B, B)."""

    def __init__(
        self, classes: int, size: int = 32, width: int = 64, timesteps: int = 1000
    ) -> None:
        super().__init__()
        self.size, self.width, self.timesteps = size, width, timesteps
        self.null_class = classes  # the extra embedding used for "no class"
        emb = width * 4
        self.time = nn.Sequential(nn.Linear(width, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(classes + 1, emb)
        widths = [width, width * 2, width * 2]
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.enc = nn.ModuleList(
            _ResBlock(widths[max(i - 1, 0)], widths[i], emb) for i in range(len(widths))
        )
        self.middle = nn.ModuleList([_ResBlock(widths[-1], widths[-1], emb) for _ in range(2)])
        self.dec = nn.ModuleList(
            _ResBlock(widths[i] * 2, widths[max(i - 1, 0)], emb)
            for i in reversed(range(len(widths)))
        )
        self.out = nn.Sequential(
            nn.GroupNorm(8, width), nn.SiLU(), nn.Conv2d(width, 3, 3, padding=1)
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        emb = self.time(_timestep_embedding(t, self.width)) + self.label(c)
        h = self.stem(x)
        skips = []
        for i, block in enumerate(self.enc):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = block(h, emb)
            skips.append(h)
        for block in self.middle:
            h = block(h, emb)
        for block in self.dec:
            skip = skips.pop()
            if h.shape[-1] != skip.shape[-1]:
                h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), emb)
        out: torch.Tensor = self.out(h)
        return out


def save_weights(
    model: DiffusionNet,
    config: dict[str, int],
    classes: list[str],
    path: Path,
    meta: dict[str, Any],
) -> None:
    """Float16 state dict, the config and class names to rebuild the net, and how it was trained."""
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": config, "classes": classes, "state_dict": state, "meta": meta}
    torch.save(payload, path)


class BuiltinGenerator:
    """Text-to-image in a very small world: each prompt word names one training photograph."""

    def __init__(self, model: DiffusionNet, classes: list[str]) -> None:
        self.model = model.eval()
        self.classes = list(classes)
        # Only words for classes these weights were trained on: a word for a photograph
        # left out of training must not summon whatever the net makes of an unseen label.
        self.vocabulary: dict[str, str] = {
            word: name for word, name in VOCABULARY.items() if name in self.classes
        }
        self.alphas = alphas_cumprod(model.timesteps)

    @classmethod
    def load(cls, path: Path | None = None) -> "BuiltinGenerator":
        payload = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
        classes = list(payload["classes"])
        model = DiffusionNet(len(classes), **payload["config"])
        model.load_state_dict({k: v.to(torch.float32) for k, v in payload["state_dict"].items()})
        return cls(model, classes)

    def classes_for(self, prompt: str) -> list[str]:
        """Classes named by the prompt's words, in the order they appear, without repeats."""
        found: list[str] = []
        for word in _WORD.findall(prompt.lower()):
            name = self.vocabulary.get(word)
            if name is not None and name not in found:
                found.append(name)
        return found

    def generate(
        self, prompt: str, seed: int, width: int, height: int, deadline: float | None = None
    ) -> np.ndarray:
        """uint8 height x width x 3, the same for the same (prompt, seed, size) on a CPU."""
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise ValueError(f"width and height must be between 1 and {MAX_SIDE}")
        found = self.classes_for(prompt)
        label = self.classes.index(found[0]) if found else self.model.null_class
        small = self._sample(label, seed, deadline)
        return _fit(small, width, height)

    def _sample(self, label: int, seed: int, deadline: float | None) -> np.ndarray:
        size = self.model.size
        generator = torch.Generator().manual_seed(seed % 2**63)
        x = torch.randn((1, 3, size, size), generator=generator)
        conditional = label != self.model.null_class
        labels = torch.tensor([label, self.model.null_class] if conditional else [label])
        steps = torch.linspace(self.model.timesteps - 1, 0, SAMPLING_STEPS).round().long()
        with torch.inference_mode():
            for i, t in enumerate(steps.tolist()):
                check_deadline(deadline)
                batch = x.expand(len(labels), -1, -1, -1)
                eps_all = self.model(batch, torch.full((len(labels),), t), labels)
                eps = eps_all[0:1]
                if conditional:
                    eps = eps_all[1:2] + GUIDANCE * (eps_all[0:1] - eps_all[1:2])
                a_t = self.alphas[t]
                x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1.0, 1.0)
                a_next = self.alphas[steps[i + 1]] if i + 1 < len(steps) else torch.tensor(1.0)
                # DDIM with eta = 0: no fresh noise, so the seed alone fixes the image.
                eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
                x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
            image = ((x[0] + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8)
            return np.ascontiguousarray(image.permute(1, 2, 0).numpy())


def _fit(small: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-crop the square sample to the asked aspect ratio, then upsample with Lanczos."""
    side = small.shape[0]
    if width >= height:
        crop_w, crop_h = side, max(1, round(side * height / width))
    else:
        crop_w, crop_h = max(1, round(side * width / height)), side
    top, left = (side - crop_h) // 2, (side - crop_w) // 2
    image = Image.fromarray(small).crop((left, top, left + crop_w, top + crop_h))
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS)).copy()
