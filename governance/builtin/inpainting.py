"""The built-in restoration model: a small U-Net that fills damaged pixels of a photograph.

A parameter-free harmonic fill first spreads the surrounding colours into the holes;
the U-Net then predicts a correction to that fill. Starting from a plausible fill lets a
network small enough to train on two CPU cores beat the classical inpainting methods.
"""

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explain.parts import RestorerParts
from governance.model_errors import check_deadline

DEFAULT_CONFIG: dict[str, int] = {"width": 16, "levels": 3, "dilated": 3}
# Images larger than this many pixels go through the network in overlapping tiles, so
# memory stays bounded whatever the size of the scan.
TILE = 768
TILE_MARGIN = 48


def weights_path() -> Path:
    """The committed weights file the default model is loaded from."""
    return Path(__file__).parent / "weights" / "restoration.pt"


def _neighbour_mean(x: torch.Tensor) -> torch.Tensor:
    """Mean of the four direct neighbours of every pixel (edges replicated)."""
    kernel = torch.tensor([[0.0, 0.25, 0.0], [0.25, 0.0, 0.25], [0.0, 0.25, 0.0]], dtype=x.dtype)
    kernel = kernel.expand(x.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=x.shape[1])


def harmonic_fill(values: torch.Tensor, known: torch.Tensor, sweeps: int = 16) -> torch.Tensor:
    """Fill pixels where `known` is 0 smoothly from the known ones around them.

    values: B x C x H x W, known: B x 1 x H x W in {0, 1}; known pixels come back unchanged.
    Push-pull gives every hole a coarse average at once; a few relaxation sweeps at each
    level, coarse to fine, turn it into the smooth (harmonic) membrane over the hole, as
    multigrid solvers do, at a small fraction of the cost of relaxing at full size only.
    """
    pyramid = [(values * known, known)]
    while min(pyramid[-1][1].shape[-2:]) > 1:
        v, w = pyramid[-1]
        pyramid.append((F.avg_pool2d(v, 2, ceil_mode=True), F.avg_pool2d(w, 2, ceil_mode=True)))
    v, w = pyramid[-1]
    filled = v / w.clamp_min(1e-6)
    for v, w in reversed(pyramid[:-1]):
        coarse = F.interpolate(filled, size=v.shape[-2:], mode="bilinear", align_corners=False)
        # A coarse cell whose footprint is at least half known is trusted as it stands.
        trust = (w * 2.0).clamp(0.0, 1.0)
        local = v / w.clamp_min(1e-6)
        filled = trust * local + (1.0 - trust) * coarse
        for _ in range(sweeps):
            filled = trust * local + (1.0 - trust) * _neighbour_mean(filled)
    return filled


def _conv(c_in: int, c_out: int, dilation: int = 1, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation)


class _Block(nn.Sequential):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(_conv(c_in, c_out), nn.GELU(), _conv(c_out, c_out), nn.GELU())


class _Dilated(nn.Module):
    """Residual dilated convolution: a wide receptive field without more downsampling."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = _conv(channels, channels, dilation)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = x + self.act(self.conv(x))
        return out


class InpaintNet(nn.Module):
    """Input B x 4 x H x W (RGB in [0, 1] with damaged pixels zeroed, then the mask).

    Output B x 3 x H x W RGB; H and W must be multiples of `multiple`.
    """

    def __init__(self, width: int = 16, levels: int = 3, dilated: int = 3) -> None:
        super().__init__()
        self.multiple = 2**levels
        widths = [width * 2**i for i in range(levels + 1)]
        self.stem = _Block(4, widths[0])
        self.down = nn.ModuleList(
            nn.Sequential(
                _conv(widths[i], widths[i + 1], stride=2),
                nn.GELU(),
                _Block(widths[i + 1], widths[i + 1]),
            )
            for i in range(levels)
        )
        self.middle = nn.Sequential(*(_Dilated(widths[-1], 2 ** (i + 1)) for i in range(dilated)))
        self.up = nn.ModuleList(_Block(widths[i + 1] + widths[i], widths[i]) for i in range(levels))
        self.head = nn.Conv2d(widths[0], 3, 1)
        # The network starts as the harmonic fill and learns corrections to it.
        nn.init.zeros_(self.head.weight)
        if self.head.bias is not None:
            nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb, mask = x[:, :3], x[:, 3:4]
        fill = harmonic_fill(rgb, 1.0 - mask)
        h = self.stem(torch.cat([fill - 0.5, mask], dim=1))
        skips = [h]
        for down in self.down:
            h = down(h)
            skips.append(h)
        h = self.middle(skips.pop())
        for up in reversed(self.up):
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = up(torch.cat([h, skip], dim=1))
        out: torch.Tensor = fill + self.head(h)
        return out


def save_weights(
    model: InpaintNet, config: dict[str, int], path: Path, meta: dict[str, Any]
) -> None:
    """Float16 state dict, the config to rebuild the net, and how it was trained."""
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": config, "state_dict": state, "meta": meta}, path)


def load_net(path: Path) -> InpaintNet:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = InpaintNet(**payload["config"])
    model.load_state_dict({k: v.to(torch.float32) for k, v in payload["state_dict"].items()})
    model.eval()
    return model


class BuiltinInpainter:
    """Fills the masked pixels of a photograph; every other pixel comes back unchanged."""

    def __init__(self, model: InpaintNet) -> None:
        self.model = model.eval()

    @classmethod
    def load(cls, path: Path | None = None) -> "BuiltinInpainter":
        return cls(load_net(path if path is not None else weights_path()))

    def explainable(self) -> RestorerParts:
        """The network, its forward pass, and the harmonic fill it starts from."""
        model = self.model

        def fixed(x: torch.Tensor) -> torch.Tensor:
            mask = x[:, 3:4]
            return harmonic_fill(x[:, :3], 1.0 - mask)

        return RestorerParts(
            network=model,
            whole=model,
            fixed=fixed,
            multiple=model.multiple,
            description=(
                "The output is a parameter-free harmonic fill of the damaged pixels from "
                "their surroundings plus a correction predicted by a learned U-Net; "
                "'correction' maps explain the U-Net alone."
            ),
        )

    def restore(
        self, image: np.ndarray, mask: np.ndarray, deadline: float | None = None
    ) -> np.ndarray:
        """uint8 H x W x 3 and bool H x W (True: damaged) -> uint8 H x W x 3."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("the image must be uint8 height x width x 3")
        if mask.shape != image.shape[:2]:
            raise ValueError("the mask must be height x width, the size of the image")
        mask = mask.astype(bool)
        check_deadline(deadline)
        if not mask.any():
            return image.copy()
        height, width = mask.shape
        predicted = np.empty_like(image)
        for y0, y1, x0, x1 in _tiles(height, width):
            ty0, ty1 = max(y0 - TILE_MARGIN, 0), min(y1 + TILE_MARGIN, height)
            tx0, tx1 = max(x0 - TILE_MARGIN, 0), min(x1 + TILE_MARGIN, width)
            tile_mask = mask[ty0:ty1, tx0:tx1]
            if not tile_mask[y0 - ty0 : y1 - ty0, x0 - tx0 : x1 - tx0].any():
                continue
            check_deadline(deadline)
            out = self._forward(image[ty0:ty1, tx0:tx1], tile_mask)
            predicted[y0:y1, x0:x1] = out[y0 - ty0 : y1 - ty0, x0 - tx0 : x1 - tx0]
        return np.where(mask[:, :, None], predicted, image)

    def _forward(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        height, width = mask.shape
        step = self.model.multiple
        pad_y, pad_x = -height % step, -width % step
        # Reflection keeps image statistics at the border; the mask is reflected with the
        # image so mirrored damage is not taken for black pixels.
        pad = ((0, pad_y), (0, pad_x))
        padded = np.pad(image, (*pad, (0, 0)), mode="reflect")
        padded_mask = np.pad(mask, pad, mode="reflect")
        with torch.inference_mode():
            rgb = torch.from_numpy(padded).permute(2, 0, 1).float().div(255.0)
            m = torch.from_numpy(padded_mask).float()[None]
            x = torch.cat([rgb * (1.0 - m), m])[None]
            y = self.model(x)[0, :, :height, :width]
            out = y.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8).permute(1, 2, 0)
            return np.ascontiguousarray(out.numpy())


def _tiles(height: int, width: int) -> list[tuple[int, int, int, int]]:
    if height * width <= TILE * TILE:
        return [(0, height, 0, width)]
    return [
        (y, min(y + TILE, height), x, min(x + TILE, width))
        for y in range(0, height, TILE)
        for x in range(0, width, TILE)
    ]
