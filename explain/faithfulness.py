"""Whether a map is faithful to the model: deletion/insertion curves and infidelity.

The curves are zoomed to the first few per cent of the known pixels: over the full range
they saturate at the first step, since the fill depends on a thin ring around the mask.
A map is compared with two rankings that need no attribution: a seeded random one (easy
to beat here) and the distance to the mask (the honest bar).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from captum.metrics import infidelity  # type: ignore[import-untyped]

from explain.passes import MaskTargets, fixed_gradient, probes
from explain.targets import Targets

Pair = tuple[float, float | None]


@dataclass(frozen=True)
class CurvePoints:
    ranking: str
    target: str
    fractions: list[float]
    deletion: list[float]
    insertion: list[float]

    def auc(self, values: list[float]) -> float:
        xs = np.asarray(self.fractions)
        ys = np.asarray(values)
        return float(np.sum((ys[1:] + ys[:-1]) * np.diff(xs)) / 2.0 / xs[-1])

    @property
    def deletion_auc(self) -> float:
        return self.auc(self.deletion)

    @property
    def insertion_auc(self) -> float:
        return self.auc(self.insertion)


def order(scores: np.ndarray, known: np.ndarray, seed: int) -> np.ndarray:
    """Flat indices of the known pixels, highest score first; ties broken by a seeded draw."""
    index = np.flatnonzero(known.ravel())
    tiebreak = np.random.default_rng(seed).random(index.size)
    ranked = np.lexsort((tiebreak, -scores.ravel()[index]))
    return index[ranked]


def _chosen(ranked: np.ndarray, count: int, shape: torch.Size) -> torch.Tensor:
    chosen = torch.zeros(shape[-2] * shape[-1])
    chosen[torch.from_numpy(ranked[:count])] = 1.0
    return chosen.view(1, 1, *shape[-2:])


def curves(
    targets: Targets,
    rgb: torch.Tensor,
    rankings: dict[str, tuple[np.ndarray, list[str]]],
    fraction: float,
    steps: int,
    passes: MaskTargets | None = None,
) -> list[CurvePoints]:
    """Each ranking (flat pixel order, targets it is judged on) deleted from the image and
    inserted into the black baseline, `steps` times up to `fraction` of the known pixels.

    A point is 1 - |f(x) - f(perturbed)| / scale: deletion falls from 1 (lower area is
    better), insertion rises towards 1 (higher area is better). The image and the baseline
    are evaluated once for the report (explain/passes.py); the perturbed inputs in
    batches. `passes` may come with the fixed part's linear form already checked."""
    fractions = [fraction * k / steps for k in range(steps + 1)]
    inputs: list[torch.Tensor] = []
    for ranked, _ in rankings.values():
        for f in fractions[1:]:
            chosen = _chosen(ranked, round(f * ranked.size), rgb.shape)
            inputs += [rgb * (1.0 - chosen), rgb * chosen]
    if passes is None:
        passes = MaskTargets(targets, rgb)
        if targets.parts.fixed is not None:
            first = next(iter(rankings.values()))[0]
            passes.use_linear(fixed_gradient(targets, rgb), probes(rgb, first, fraction))
    full, empty = passes.ends()
    values = passes.values(inputs)
    raw: dict[str, tuple[list[str], list[Pair], list[Pair]]] = {}
    for r, (name, (_, judged)) in enumerate(rankings.items()):
        points = values[r * 2 * steps : (r + 1) * 2 * steps]
        raw[name] = (judged, [full, *points[0::2]], [empty, *points[1::2]])
    found: list[CurvePoints] = []
    for slot, target in enumerate(("whole", "correction")):
        if full[slot] is None:
            continue
        # The correction need not move monotonically from the baseline's value to the
        # image's, so distances from the full value are scaled by the largest seen (for
        # the whole output that is f(x) - f(black), the usual normalisation).
        end = float(full[slot] or 0.0)
        seen = [abs(end - float(p[slot] or 0.0)) for _, d, i in raw.values() for p in d + i]
        scale = max(max(seen), 1e-12)

        def norm(
            points: list[Pair], s: int = slot, e: float = end, k: float = scale
        ) -> list[float]:
            return [1.0 - abs(e - float(p[s] or 0.0)) / k for p in points]

        for name, (judged, deletion, insertion) in raw.items():
            if target in judged:
                found.append(CurvePoints(name, target, fractions, norm(deletion), norm(insertion)))
    return found


class Memo:
    """A forward pass remembered by the bytes of its input."""

    def __init__(self, forward: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.forward = forward
        self.seen: dict[bytes, torch.Tensor] = {}

    @staticmethod
    def _key(x: torch.Tensor) -> bytes:
        return hashlib.sha256(x.detach().numpy().tobytes()).digest() + bytes(str(x.shape), "ascii")

    def remember(self, x: torch.Tensor, value: torch.Tensor) -> None:
        """Its value at `x` from a pass run elsewhere (the image's, run once per report)."""
        self.seen[self._key(x)] = value

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        key = self._key(x)
        if key not in self.seen:
            with torch.inference_mode():
                self.seen[key] = self.forward(x)
        return self.seen[key]


def _ratio(value: float, reference: float) -> str:
    """The map's AUC over a reference's (deletion: below 1 is better; insertion: above)."""
    return f"{value / reference:.3g}" if reference > 1e-12 else "undefined"


def curve_verdict(
    method: CurvePoints, random: CurvePoints, distance: CurvePoints
) -> tuple[bool, str]:
    """Passed: lower deletion and higher insertion AUC than both reference rankings."""
    d, i = method.deletion_auc, method.insertion_auc
    beats_random = d < random.deletion_auc and i > random.insertion_auc
    beats_distance = d <= distance.deletion_auc and i >= distance.insertion_auc
    words = (
        f"deletion AUC {d:.3g} (random {random.deletion_auc:.3g}, ratio "
        f"{_ratio(d, random.deletion_auc)}; distance to mask {distance.deletion_auc:.3g}, "
        f"ratio {_ratio(d, distance.deletion_auc)}); insertion AUC {i:.3g} (random "
        f"{random.insertion_auc:.3g}, ratio {_ratio(i, random.insertion_auc)}; distance "
        f"{distance.insertion_auc:.3g}, ratio {_ratio(i, distance.insertion_auc)})"
    )
    if beats_random and beats_distance:
        return True, f"curves passed: beats random and distance rankings; {words}"
    if beats_random:
        return False, (
            "curves failed: beats a random ranking but not the model-free ranking by "
            f"distance to the mask; {words}"
        )
    return False, f"curves failed: no better than a random ranking; {words}"


def infidelity_of(
    forward: Callable[[torch.Tensor], torch.Tensor],
    rgb: torch.Tensor,
    attribution: np.ndarray,
    samples: int,
    sigma: float,
    seed: int,
) -> float:
    """captum infidelity with seeded Gaussian perturbations of the input (normalised).

    `forward` may be a Memo: every map of one target sees the same perturbations, so the
    model runs once per perturbation, not once per map."""
    generator = torch.Generator().manual_seed(seed)

    def perturb(inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn(inputs.shape, generator=generator) * sigma
        return noise, inputs - noise

    value = infidelity(
        lambda x: forward(x)[:, 0],
        perturb,
        rgb,
        torch.from_numpy(attribution).float()[None],
        n_perturb_samples=samples,
        max_examples_per_batch=samples,
        normalize=True,
    )
    return float(value[0])
