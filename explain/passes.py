"""The forward passes of the curves and infidelity, batched and without gradients.

Each perturbed input needs the whole output's mask target and, when the model has a
parameter-free part, that part's target too (the correction is their difference). The
built-in model's parameter-free part (a harmonic fill: pooling, interpolation, blends
and neighbour means with weights set by the mask alone) is linear in the image, so its
target is one dot product with its gradient: measured on the curves' inputs it matches a
direct evaluation to 2e-7 of 1.5. This is not assumed for any model: the shortcut is
taken only after direct evaluations agree with it on the baseline, the image and the
two inputs farthest from both (the deepest deletion and insertion of the first ranking);
otherwise every input is evaluated directly. The same check lets Integrated Gradients of
the fixed part be its exact closed form (explain/attribute.py). The fill inside the whole
model cannot be shared between inputs: deleting known pixels changes the fill.

The image and the black baseline are evaluated once for the report (the ends of every
curve, the completeness of Integrated Gradients, infidelity's unperturbed input); the
whole output at the image comes from Saliency's forward pass when that ran first.
"""

from collections.abc import Iterator

import numpy as np
import torch

from explain.targets import Targets

# Pixels per batch of perturbed inputs (ReportParams.batch_pixels, recorded in the
# report). Measured on one thread (built-in model, channels last, CPU-s per image):
# 512 px 0.25 / 0.29 / 0.35 at B = 1 / 2 / 4 (a bigger batch leaves the cache), 256 px
# 0.063 / 0.058 / 0.062 / 0.077 at B = 1 / 2 / 4 / 8.
BATCH_PIXELS = 2 * 256 * 256
MAX_BATCH = 8
# Relative agreement a direct evaluation of the fixed part must show with the linear form.
LINEAR_TOLERANCE = 1e-5

Value = tuple[float, float | None]


def batch_size(height: int, width: int, batch_pixels: int = BATCH_PIXELS) -> int:
    return max(1, min(MAX_BATCH, batch_pixels // max(height * width, 1)))


def _batches(inputs: list[torch.Tensor], size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(inputs), size):
        yield torch.cat(inputs[start : start + size])


def fixed_gradient(targets: Targets, rgb: torch.Tensor) -> torch.Tensor:
    """The gradient of the fixed part's whole-mask target at the image (its Saliency)."""
    x = rgb.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(targets.fixed(x)[0, 0], x)
    return grad.detach()


def probes(rgb: torch.Tensor, ranked: np.ndarray, fraction: float) -> list[torch.Tensor]:
    """The deepest deletion and insertion of a ranking: with the image and the baseline,
    the curves' inputs farthest from both, where a non-linear fixed part would show."""
    chosen = torch.zeros(rgb.shape[-2] * rgb.shape[-1])
    chosen[torch.from_numpy(ranked[: round(fraction * ranked.size)])] = 1.0
    chosen = chosen.view(1, 1, *rgb.shape[-2:])
    return [rgb * (1.0 - chosen), rgb * chosen]


class MaskTargets:
    """The whole-mask target of the whole output and of the fixed part, for many inputs."""

    def __init__(
        self, targets: Targets, rgb: torch.Tensor, batch_pixels: int = BATCH_PIXELS
    ) -> None:
        self.targets = targets
        self.rgb = rgb
        height, width = rgb.shape[-2:]
        self.batch = batch_size(height, width, batch_pixels)
        # Set by use_linear once the fixed part is shown to be linear on the probes.
        self.gradient: torch.Tensor | None = None
        self.offset = 0.0
        # The whole output's target at the image and at the black baseline, the fixed
        # part's at both (evaluated directly), once each.
        self._image: float | None = None
        self._black: float | None = None
        self._fixed_ends: tuple[float, float] | None = None

    def know_image(self, value: float) -> None:
        """The whole output's target at the image, from a forward pass already run."""
        self._image = value

    def whole_ends(self) -> tuple[float, float]:
        """The whole output's target at the image and at the black baseline."""
        black = torch.zeros_like(self.rgb)
        if self._image is None and self._black is None:
            self._image, self._black = self._whole([self.rgb, black])
        elif self._image is None:
            self._image = self._whole([self.rgb])[0]
        elif self._black is None:
            self._black = self._whole([black])[0]
        assert self._image is not None and self._black is not None
        return self._image, self._black

    def fixed_ends(self) -> tuple[float, float]:
        """The fixed part's target at the image and at the black baseline, run directly."""
        if self.targets.parts.fixed is None:
            raise ValueError("this model has no parameter-free part")
        if self._fixed_ends is None:
            image, black = self._fixed_direct([self.rgb, torch.zeros_like(self.rgb)])
            self._fixed_ends = (image, black)
        return self._fixed_ends

    def ends(self) -> tuple[Value, Value]:
        """(whole, correction) at the image and at the black baseline."""
        image, black = self.whole_ends()
        if self.targets.parts.fixed is None:
            return (image, None), (black, None)
        linear = self.gradient is not None
        inputs = [self.rgb, torch.zeros_like(self.rgb)]
        fixed = self._fixed_linear(inputs) if linear else list(self.fixed_ends())
        return (image, image - fixed[0]), (black, black - fixed[1])

    def use_linear(self, gradient: torch.Tensor, probes: list[torch.Tensor]) -> bool:
        """Evaluate the fixed part as offset + <gradient, x> from now on, if direct
        evaluations agree with that form on the image, the baseline and the probes
        (relative LINEAR_TOLERANCE)."""
        if self.targets.parts.fixed is None:
            return False
        image, black = self.fixed_ends()
        direct = [image, black, *self._fixed_direct(probes)]
        inputs = [self.rgb, torch.zeros_like(self.rgb), *probes]
        linear = [black + float((gradient * x).sum()) for x in inputs]
        if all(
            abs(d - v) <= LINEAR_TOLERANCE * max(abs(d), 1e-3)
            for d, v in zip(direct, linear, strict=True)
        ):
            self.gradient, self.offset = gradient, black
            return True
        return False

    def _split(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x[i : i + self.batch] for i in range(0, x.shape[0], self.batch)]

    def whole(self, x: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the whole output's mask target, in batches."""
        return torch.cat([self.targets.whole_mask(b) for b in self._split(x)])

    def fixed(self, x: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the fixed part's mask target: the linear form once it
        is checked, else evaluated directly."""
        if self.gradient is not None:
            return self.offset + (self.gradient * x).flatten(1).sum(dim=1)
        return torch.cat([self.targets.fixed_mask(b) for b in self._split(x)])

    def _whole(self, inputs: list[torch.Tensor]) -> list[float]:
        values: list[float] = []
        for batch in _batches(inputs, self.batch):
            values += [float(v) for v in self.targets.whole_mask(batch)]
        return values

    def _fixed_direct(self, inputs: list[torch.Tensor]) -> list[float]:
        values: list[float] = []
        for batch in _batches(inputs, self.batch):
            values += [float(v) for v in self.targets.fixed_mask(batch)]
        return values

    def _fixed_linear(self, inputs: list[torch.Tensor]) -> list[float]:
        assert self.gradient is not None
        return [self.offset + float((self.gradient * x).sum()) for x in inputs]

    def values(self, inputs: list[torch.Tensor]) -> list[Value]:
        """(whole, correction) of each input; correction None when there is no fixed part."""
        whole = self._whole(inputs)
        if self.targets.parts.fixed is None:
            return [(w, None) for w in whole]
        linear = self.gradient is not None
        fixed = self._fixed_linear(inputs) if linear else self._fixed_direct(inputs)
        return [(w, w - f) for w, f in zip(whole, fixed, strict=True)]
