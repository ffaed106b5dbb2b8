"""The forward passes of the deletion/insertion curves, batched and without gradients.

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
"""

from collections.abc import Iterator

import numpy as np
import torch

from explain.targets import Targets

# Pixels per batch of perturbed inputs. Measured on one thread (built-in model, channels
# last, CPU-s per image): 512 px 0.48 / 0.53 / 0.62 at B = 1 / 2 / 4 (a bigger batch
# leaves the cache), 256 px 0.120 / 0.110 / 0.109 / 0.129 at B = 1 / 2 / 4 / 8.
BATCH_PIXELS = 4 * 256 * 256
MAX_BATCH = 8
# Relative agreement a direct evaluation of the fixed part must show with the linear form.
LINEAR_TOLERANCE = 1e-5

Value = tuple[float, float | None]


def batch_size(height: int, width: int) -> int:
    return max(1, min(MAX_BATCH, BATCH_PIXELS // max(height * width, 1)))


def _batches(inputs: list[torch.Tensor], size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(inputs), size):
        yield torch.cat(inputs[start : start + size])


def fixed_gradient(targets: Targets, rgb: torch.Tensor) -> torch.Tensor:
    """The gradient of the fixed part's whole-mask target at the image (its Saliency)."""
    x = rgb.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(targets.fixed(x)[0, 0], x)
    return grad.detach()


def probes(rgb: torch.Tensor, ranked: np.ndarray, fraction: float) -> list[torch.Tensor]:
    """The image, the black baseline, and the deepest deletion and insertion of a ranking:
    the curves' inputs farthest from both, where a non-linear fixed part would show."""
    chosen = torch.zeros(rgb.shape[-2] * rgb.shape[-1])
    chosen[torch.from_numpy(ranked[: round(fraction * ranked.size)])] = 1.0
    chosen = chosen.view(1, 1, *rgb.shape[-2:])
    return [rgb, torch.zeros_like(rgb), rgb * (1.0 - chosen), rgb * chosen]


class MaskTargets:
    """The whole-mask target of the whole output and of the fixed part, for many inputs."""

    def __init__(self, targets: Targets, rgb: torch.Tensor) -> None:
        self.targets = targets
        self.batch = batch_size(*rgb.shape[-2:])
        # Set by use_linear once the fixed part is shown to be linear on the probes.
        self.gradient: torch.Tensor | None = None
        self.offset = 0.0

    def use_linear(self, gradient: torch.Tensor, probes: list[torch.Tensor]) -> bool:
        """Evaluate the fixed part as offset + <gradient, x> from now on, if direct
        evaluations agree with that form on the probes (relative LINEAR_TOLERANCE)."""
        if self.targets.parts.fixed is None:
            return False
        offset = float(self.targets.fixed_mask(torch.zeros_like(probes[0]))[0])
        direct = self._fixed_direct(probes)
        linear = [offset + float((gradient * x).sum()) for x in probes]
        if all(
            abs(d - v) <= LINEAR_TOLERANCE * max(abs(d), 1e-3)
            for d, v in zip(direct, linear, strict=True)
        ):
            self.gradient, self.offset = gradient, offset
            return True
        return False

    def _split(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x[i : i + self.batch] for i in range(0, x.shape[0], self.batch)]

    def whole(self, x: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the whole output's mask target, in batches."""
        return torch.cat([self.targets.whole_mask(b) for b in self._split(x)])

    def fixed(self, x: torch.Tensor) -> torch.Tensor:
        """B inputs -> B values of the fixed part's mask target, evaluated directly."""
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
