"""The material the built-in detector learns from and is measured on, all made offline.

Real: crops of scikit-image's photographs at their own resolution. AI-made, from the
same photographs (so a photograph held out is held out with its fakes):

- re-upsampled: shrunk by 1.5-4x, blown back up by nearest, bilinear, bicubic or Lanczos;
- a decoder: a small convolutional autoencoder trained here (strided convolutions down,
  transposed convolutions up), its reconstruction of the photograph;
- the built-in generator's samples of the photograph's class, at sizes from 96 to 512 px.

Augmentation (both kinds alike): JPEG at quality 55-95 and rescaling by 0.5-0.95.
"""

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from governance.builtin.detector import CROP
from governance.builtin.diffusion import GUIDANCE, SAMPLING_STEPS, BuiltinGenerator
from governance.builtin.photos import load_photo

RESAMPLERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
FAKE_KINDS = (*RESAMPLERS, "decoder", "generator")


def to_pil(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(pixels))


def random_crop(image: np.ndarray, rng: np.random.Generator, side: int = CROP) -> np.ndarray:
    """A side x side crop; an image smaller than that is first enlarged (Lanczos)."""
    h, w = image.shape[:2]
    if min(h, w) < side:
        scale = side / min(h, w)
        size = (max(side, round(w * scale)), max(side, round(h * scale)))
        image = np.asarray(to_pil(image).resize(size, Image.Resampling.LANCZOS))
        h, w = image.shape[:2]
    top = int(rng.integers(0, h - side + 1))
    left = int(rng.integers(0, w - side + 1))
    return np.ascontiguousarray(image[top : top + side, left : left + side])


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    to_pil(pixels).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB")).copy()


def rescale(pixels: np.ndarray, factor: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(to_pil(pixels).resize(size, Image.Resampling.BICUBIC, reducing_gap=None))


def reupsample(photo: np.ndarray, method: str, factor: float) -> np.ndarray:
    """The photograph shrunk by `factor` (antialiased) and enlarged back by `method`."""
    h, w = photo.shape[:2]
    small = to_pil(photo).resize(
        (max(8, round(w / factor)), max(8, round(h / factor))), Image.Resampling.LANCZOS
    )
    return np.asarray(small.resize((w, h), RESAMPLERS[method]))


class Decoder(nn.Module):
    """A small autoencoder: 4x down by strided convolutions, up by transposed ones."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(width, width, 4, stride=2, padding=1),
            nn.GELU(),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(width, 3, 4, stride=2, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.sigmoid(self.up(self.down(x)))
        return out


def train_decoder(photos: list[np.ndarray], seed: int, steps: int = 120) -> Decoder:
    """A few seconds of training on 48 px crops: enough for plausible reconstructions."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Decoder()
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(steps):
        batch = np.stack(
            [random_crop(photos[int(rng.integers(len(photos)))], rng, 48) for _ in range(16)]
        )
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
        loss = F.l1_loss(net(x), x)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
    return net.eval()


def decode(net: Decoder, photo: np.ndarray) -> np.ndarray:
    h, w = photo.shape[:2]
    x = torch.from_numpy(np.array(photo)).permute(2, 0, 1)[None].float() / 255.0
    x = F.pad(x, (0, -w % 4, 0, -h % 4), mode="replicate")
    with torch.inference_mode():
        y = net(x)[0, :, :h, :w]
    out: np.ndarray = (y.permute(1, 2, 0) * 255.0).round().clamp(0, 255).to(torch.uint8).numpy()
    return out


def generator_samples(
    generator: BuiltinGenerator, classes: list[str], per_class: int, seed: int
) -> dict[str, list[np.ndarray]]:
    """32 px samples of each class, drawn in one batch with the generator's own DDIM
    sampler and guidance (its `generate` draws one at a time)."""
    model, alphas = generator.model, generator.alphas
    labels = torch.tensor([generator.classes.index(c) for c in classes for _ in range(per_class)])
    n = len(labels)
    x = torch.randn((n, 3, model.size, model.size), generator=torch.Generator().manual_seed(seed))
    null = torch.full((n,), model.null_class)
    steps = torch.linspace(model.timesteps - 1, 0, SAMPLING_STEPS).round().long()
    with torch.inference_mode():
        for i, t in enumerate(steps.tolist()):
            eps_all = model(torch.cat([x, x]), torch.full((2 * n,), t), torch.cat([labels, null]))
            eps = eps_all[n:] + GUIDANCE * (eps_all[:n] - eps_all[n:])
            a_t = alphas[t]
            x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1.0, 1.0)
            a_next = alphas[steps[i + 1]] if i + 1 < len(steps) else torch.tensor(1.0)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
    images = ((x + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    out: dict[str, list[np.ndarray]] = {c: [] for c in classes}
    for label, image in zip(labels.tolist(), images, strict=True):
        out[generator.classes[label]].append(np.ascontiguousarray(image))
    return out


def upsampled_sample(sample: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A generator sample at a random output size, enlarged as the generator does."""
    side = int(rng.integers(CROP, 513))
    return np.asarray(to_pil(sample).resize((side, side), Image.Resampling.LANCZOS))


def make_fake(
    kind: str,
    photo: np.ndarray,
    rng: np.random.Generator,
    decoder: Decoder | None,
    samples: list[np.ndarray],
) -> np.ndarray:
    """One AI-made image of `kind` from (or in the manner of) the photograph."""
    if kind in RESAMPLERS:
        return reupsample(photo, kind, float(rng.uniform(1.5, 4.0)))
    if kind == "decoder":
        assert decoder is not None
        return decode(decoder, photo)
    return upsampled_sample(samples[int(rng.integers(len(samples)))], rng)


MARGIN = 16


def sample_crop(
    image: np.ndarray,
    rng: np.random.Generator,
    scale: float | None = None,
    quality: int | None = None,
) -> np.ndarray:
    """A CROP x CROP crop, rescaled by `scale` and JPEG-compressed at `quality` first if
    asked (on a patch a little larger than the crop, so the JPEG grid falls anywhere)."""
    side = CROP + MARGIN
    if scale is not None:
        side = int(np.ceil(side / scale))
    patch = random_crop(image, rng, min(side, *image.shape[:2]))
    if scale is not None:
        patch = rescale(patch, scale)
    if quality is not None:
        patch = jpeg(patch, quality)
    return random_crop(patch, rng)


def augmented_crop(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training augmentation, the same for both kinds: rescaling and JPEG, each at times."""
    scale = float(rng.uniform(0.5, 0.95)) if rng.random() < 0.35 else None
    quality = int(rng.integers(55, 96)) if rng.random() < 0.5 else None
    return sample_crop(image, rng, scale, quality)


def photo_pixels(name: str) -> np.ndarray:
    return np.asarray(load_photo(name))
