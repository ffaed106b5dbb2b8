"""Attributions of the fill to the input pixels: Saliency and Integrated Gradients.

Both are linear in the function explained, so the learned correction's map is the whole
output's map minus the parameter-free part's map, computed on the same input with the
same path: exact, and the fixed part costs a fraction of the network.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from captum.attr import IntegratedGradients, Saliency  # type: ignore[import-untyped]

from explain.passes import MaskTargets
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


def _saliency(
    forward: Callable[[torch.Tensor], torch.Tensor],
    rgb: torch.Tensor,
    index: int,
    seen: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    def recorded(x: torch.Tensor) -> torch.Tensor:
        out = forward(x)
        if seen is not None:
            seen.append(out.detach())
        return out

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GRADIENT_NOTICE, category=UserWarning)
        found: torch.Tensor = Saliency(recorded).attribute(rgb, target=index, abs=False)
    return found


def saliency(
    targets: Targets,
    rgb: torch.Tensor,
    index: int,
    cache: FixedCache | None = None,
    passes: MaskTargets | None = None,
) -> list[Attribution]:
    """The gradient of target `index` for the whole output and, if any, the correction.
    `passes` is told the whole output's mask target at the image, which the gradient's
    forward pass computes anyway."""
    region = targets.names[index]
    seen: list[torch.Tensor] = []
    whole = _saliency(targets.whole, rgb, index, seen)
    if passes is not None and len(seen) == 1:
        passes.know_image(float(seen[0][0, 0]))
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


Run = tuple[torch.Tensor, float | None, float | None]


def integrated_gradients(
    targets: Targets,
    rgb: torch.Tensor,
    index: int,
    steps: int,
    batch: int,
    cache: FixedCache | None = None,
    ends: MaskTargets | None = None,
    completeness: bool = True,
) -> list[Attribution]:
    """IG from a black image along the straight path, Gauss-Legendre nodes.

    The completeness gap is sum(attributions) - (f(x) - f(black)). With `ends` (the
    whole-mask target only), f at both ends comes from the passes the report runs
    anyway; without it captum runs them; without `completeness` nobody does (the
    randomisation check compares maps alone)."""
    if ends is not None and index != 0:
        raise ValueError("the report's ends are those of the whole-mask target")
    region = targets.names[index]
    baseline = torch.zeros_like(rgb)

    def run(forward: object, fixed: bool) -> Run:
        own = completeness and ends is None
        ig = IntegratedGradients(forward)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=GRADIENT_NOTICE, category=UserWarning)
            found = ig.attribute(
                rgb,
                baselines=baseline,
                target=index,
                n_steps=steps,
                method="gausslegendre",
                internal_batch_size=batch,
                return_convergence_delta=own,
            )
        if own:
            # captum's delta is sum(attr) - (f(x) - f(black)) from its own forward passes
            # at both ends, so f(x) - f(black) follows without running the model again.
            attr, delta = found
            return attr, float(attr.sum()) - float(delta[0]), float(delta[0])
        if ends is None:
            return found, None, None
        image, black = ends.fixed_ends() if fixed else ends.whole_ends()
        return found, image - black, float(found.sum()) - (image - black)

    whole, diff_w, delta_w = run(targets.whole, False)
    found = [Attribution("integrated_gradients", "whole", region, _numpy(whole), diff_w, delta_w)]
    if targets.parts.fixed is not None:
        cache = {} if cache is None else cache
        if ("integrated_gradients", index) not in cache:
            cache[("integrated_gradients", index)] = run(targets.fixed, True)
        fixed, diff_f, delta_f = cache[("integrated_gradients", index)]
        found.append(
            Attribution(
                "integrated_gradients",
                "correction",
                region,
                _numpy(whole - fixed),
                None if diff_w is None or diff_f is None else diff_w - diff_f,
                None if delta_w is None or delta_f is None else delta_w - delta_f,
            )
        )
    return found


def linear_integrated_gradients(passes: MaskTargets, gradient: torch.Tensor) -> Run:
    """IG of the fixed part's whole-mask target when that part is linear in the image
    (checked by explain/passes.py): from the black baseline it is exactly x * gradient
    for any number of steps, and the completeness gap is rounding alone. Returns what
    the fixed part's IG run would: attributions, f(x) - f(black), the gap."""
    attr = passes.rgb * gradient
    image, black = passes.fixed_ends()
    return attr, image - black, float(attr.sum()) - (image - black)
