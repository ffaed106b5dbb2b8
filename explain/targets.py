"""The scalar a map explains: the mean fill of a region, summed over the three channels.

target(rgb) = sum over channels and the region's damaged pixels of the output, divided by
the region's area. The model sees the input as the restorer does: damaged pixels zeroed,
the mask as a fourth channel, reflected to a multiple of the network's stride.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from explain.parts import Forward, RestorerParts


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 -> 1 x 3 x H x W float in [0, 1]."""
    # A copy: torch warns on (and must not alias) a read-only array such as a decoded image.
    return torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1).float().div(255.0)[None]


@dataclass(frozen=True)
class Targets:
    """Scalar targets of one image and mask: whole output, fixed part, per region."""

    parts: RestorerParts
    mask: torch.Tensor  # 1 x 1 x H x W float
    # One row per target (the whole mask first, then each region): R x 1 x H x W, area-normalised.
    weights: torch.Tensor
    names: list[str]

    def _run(self, forward: Forward, rgb: torch.Tensor) -> torch.Tensor:
        height, width = rgb.shape[-2:]
        step = self.parts.multiple
        pad = (0, -width % step, 0, -height % step)
        mask = self.mask.expand(rgb.shape[0], -1, -1, -1)
        x = torch.cat([rgb * (1.0 - mask), mask], dim=1)
        if pad[1] or pad[3]:
            x = F.pad(x, pad, mode="reflect")
        # oneDNN convolutions skip a layout reorder per layer. Built-in model, one thread,
        # CPU-s at 512 px: a forward pass 0.29 against 0.46, a gradient (forward and
        # backward) 0.65 against 0.83 to 0.95; at 256 px 0.18 against 0.20. The values
        # agree to 3e-7 relative.
        x = x.contiguous(memory_format=torch.channels_last)
        out: torch.Tensor = forward(x)[:, :, :height, :width]
        return out

    def output(self, rgb: torch.Tensor) -> torch.Tensor:
        return self._run(self.parts.whole, rgb)

    def output_no_grad(self, rgb: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return self._run(self.parts.whole, rgb)

    def fixed_output(self, rgb: torch.Tensor) -> torch.Tensor:
        if self.parts.fixed is None:
            raise ValueError("this model has no parameter-free part")
        return self._run(self.parts.fixed, rgb)

    def reduce(self, out: torch.Tensor) -> torch.Tensor:
        """B x 3 x H x W output -> B x R targets."""
        return torch.einsum("bchw,rhw->br", out, self.weights[:, 0])

    def whole(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.reduce(self.output(rgb))

    def fixed(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.reduce(self.fixed_output(rgb))

    def whole_mask(self, rgb: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the whole-mask target, without gradients (the curves)."""
        with torch.inference_mode():
            out = self._run(self.parts.whole, rgb)
            return torch.einsum("bchw,hw->b", out, self.weights[0, 0])

    def fixed_mask(self, rgb: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the fixed part's whole-mask target, without gradients."""
        if self.parts.fixed is None:
            raise ValueError("this model has no parameter-free part")
        with torch.inference_mode():
            out = self._run(self.parts.fixed, rgb)
            return torch.einsum("bchw,hw->b", out, self.weights[0, 0])


def build_targets(parts: RestorerParts, labels: np.ndarray, region_labels: list[int]) -> Targets:
    mask = labels > 0
    rows = [mask] + [labels == k for k in region_labels]
    weights = np.stack([r / max(int(r.sum()), 1) for r in rows]).astype(np.float32)
    names = ["mask"] + [f"region{i + 1}" for i in range(len(region_labels))]
    return Targets(
        parts=parts,
        mask=torch.from_numpy(mask.astype(np.float32))[None, None],
        weights=torch.from_numpy(weights)[:, None],
        names=names,
    )
