"""Attributions of the fill to the input pixels: Saliency and Integrated Gradients.

Both are linear in the function explained, so the learned correction's map is the whole
output's map minus the parameter-free part's map, computed on the same input with the
same path: exact, and the fixed part costs a fraction of the network.
"""

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from captum.attr import IntegratedGradients, Saliency  # type: ignore[import-untyped]

from explain.targets import Targets


@dataclass(frozen=True)
class Attribution:
    method: str  # "saliency" or "integrated_gradients"
    target: str  # "whole" or "correction"
    region: str  # "mask" or "regionN"
    # 3 x H x W, signed; Saliency's is the plain gradient (its map is the absolute value).
    raw: np.ndarray
    # f(x) - f(baseline) and the completeness gap (IG only)
    difference: float | None
    delta: float | None

    def pixel_map(self) -> np.ndarray:
        """H x W: |gradient| summed over channels (Saliency), the channel sum (IG)."""
        if self.method == "saliency":
            return np.asarray(np.abs(self.raw).sum(axis=0))
        return np.asarray(self.raw.sum(axis=0))

    def relative_delta(self) -> float | None:
        if self.delta is None or self.difference is None:
            return None
        return abs(self.delta) / max(abs(self.difference), 1e-12)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return np.asarray(t.detach()[0].numpy(), dtype=np.float64)


# captum's notice that it turned on requires_grad for an input it differentiates: that is
# how Saliency and IG work on a plain image tensor, not a fault, and it reached the console.
GRADIENT_NOTICE = r"Input Tensor \d+ did not already require gradients"

# The parameter-free part's results by method and target index. It has no weights, so
# the randomisation check computes them once, not once per randomised block.
FixedCache = dict[tuple[str, int], Any]


def _saliency(forward: object, rgb: torch.Tensor, index: int) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GRADIENT_NOTICE, category=UserWarning)
        found: torch.Tensor = Saliency(forward).attribute(rgb, target=index, abs=False)
    return found


def saliency(
    targets: Targets, rgb: torch.Tensor, index: int, cache: FixedCache | None = None
) -> list[Attribution]:
    """The gradient of target `index` for the whole output and, if any, the correction."""
    region = targets.names[index]
    whole = _saliency(targets.whole, rgb, index)
    found = [Attribution("saliency", "whole", region, _numpy(whole), None, None)]
    if targets.parts.fixed is not None:
        cache = {} if cache is None else cache
        if ("saliency", index) not in cache:
            cache[("saliency", index)] = _saliency(targets.fixed, rgb, index)
        fixed = cache[("saliency", index)]
        found.append(
            Attribution("saliency", "correction", region, _numpy(whole - fixed), None, None)
        )
    return found


def integrated_gradients(
    targets: Targets,
    rgb: torch.Tensor,
    index: int,
    steps: int,
    batch: int,
    cache: FixedCache | None = None,
) -> list[Attribution]:
    """IG from a black image along the straight path, Gauss-Legendre nodes."""
    region = targets.names[index]
    baseline = torch.zeros_like(rgb)

    def run(forward: object) -> tuple[torch.Tensor, float, float]:
        ig = IntegratedGradients(forward)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=GRADIENT_NOTICE, category=UserWarning)
            attr, delta = ig.attribute(
                rgb,
                baselines=baseline,
                target=index,
                n_steps=steps,
                method="gausslegendre",
                internal_batch_size=batch,
                return_convergence_delta=True,
            )
        # captum's delta is sum(attr) - (f(x) - f(black)) from its own forward passes at
        # both ends, so f(x) - f(black) follows without running the model twice more.
        difference = float(attr.sum()) - float(delta[0])
        return attr, difference, float(delta[0])

    whole, diff_w, delta_w = run(targets.whole)
    found = [Attribution("integrated_gradients", "whole", region, _numpy(whole), diff_w, delta_w)]
    if targets.parts.fixed is not None:
        cache = {} if cache is None else cache
        if ("integrated_gradients", index) not in cache:
            cache[("integrated_gradients", index)] = run(targets.fixed)
        fixed, diff_f, delta_f = cache[("integrated_gradients", index)]
        found.append(
            Attribution(
                "integrated_gradients",
                "correction",
                region,
                _numpy(whole - fixed),
                diff_w - diff_f,
                delta_w - delta_f,
            )
        )
    return found


def linear_integrated_gradients(
    targets: Targets, rgb: torch.Tensor, gradient: torch.Tensor
) -> tuple[torch.Tensor, float, float]:
    """IG of the fixed part's whole-mask target when that part is linear in the image
    (checked by explain/passes.py): from the black baseline it is exactly x * gradient
    for any number of steps, and the completeness gap is rounding alone. Returns what
    the fixed part's IG run would: attributions, f(x) - f(black), the gap."""
    attr = rgb * gradient
    with torch.no_grad():
        f = targets.fixed(rgb)[0, 0] - targets.fixed(torch.zeros_like(rgb))[0, 0]
    return attr, float(f), float(attr.sum() - f)
