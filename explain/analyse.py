"""Attributions and their faithfulness checks for one restoration, as the plan allows."""

from dataclasses import dataclass, field

import numpy as np
import torch

from explain.attribute import (
    Attribution,
    FixedCache,
    integrated_gradients,
    linear_integrated_gradients,
    saliency,
)
from explain.faithfulness import CurvePoints, Memo, curve_verdict, curves, infidelity_of, order
from explain.geometry import distance_to_mask
from explain.passes import MaskTargets, probes
from explain.plan import Plan
from explain.schemas import MethodVerdict, RandomisationCheck, RandomisationSeries, Verdict
from explain.targets import Targets


@dataclass
class Analysis:
    maps: list[Attribution] = field(default_factory=list)
    curves: list[CurvePoints] = field(default_factory=list)
    verdicts: list[MethodVerdict] = field(default_factory=list)


def _forwards(passes: MaskTargets) -> dict[str, Memo]:
    """The mask target of each output for infidelity (B x 1), each knowing its value at
    the image. The correction reuses the whole output's passes: only the fixed part runs
    again, in its linear form once that is checked."""
    image = passes.rgb
    whole = Memo(lambda x: passes.whole(x)[:, None])
    ends = passes.ends()[0]
    whole.remember(image, torch.tensor([[ends[0]]]))
    found = {"whole": whole}
    if passes.targets.parts.fixed is not None:
        fixed = Memo(lambda x: passes.fixed(x)[:, None])
        correction = Memo(lambda x: whole(x) - fixed(x))
        correction.remember(image, torch.tensor([[float(ends[1] or 0.0)]]))
        found["correction"] = correction
    return found


def analyse(
    targets: Targets,
    rgb: torch.Tensor,
    mask: np.ndarray,
    plan: Plan,
    params: object,
    randomisation: RandomisationCheck | None,
) -> Analysis:
    p = params  # ReportParams; typed loosely to keep report.py and this module acyclic
    seed: int = p.seed  # type: ignore[attr-defined]
    found = Analysis()
    target_names = ["whole", "correction"] if targets.parts.fixed is not None else ["whole"]
    cache: FixedCache = {}
    passes = MaskTargets(targets, rgb, p.batch_pixels)  # type: ignore[attr-defined]
    found.maps += saliency(targets, rgb, 0, cache, passes)
    known = ~mask
    random_ranked = order(np.zeros(mask.shape), known, seed)
    if targets.parts.fixed is not None:
        # The fixed part's Saliency is the gradient its linear form needs; once the form
        # is checked, the curves, IG and infidelity of the fixed part use it, not reruns.
        gradient = cache[("saliency", 0)]
        linear = passes.use_linear(gradient, probes(rgb, random_ranked, p.curve_fraction))  # type: ignore[attr-defined]
        if linear and "integrated_gradients/mask" in plan.chosen:
            cache[("integrated_gradients", 0)] = linear_integrated_gradients(passes, gradient)
    if "integrated_gradients/mask" in plan.chosen:
        found.maps += integrated_gradients(
            targets,
            rgb,
            0,
            p.ig_steps,  # type: ignore[attr-defined]
            p.ig_batch,  # type: ignore[attr-defined]
            cache,
            ends=passes,
        )
    for index, name in enumerate(targets.names[1:], start=1):
        if f"saliency/{name}" in plan.chosen:
            found.maps += saliency(targets, rgb, index)
    on_mask = {(a.method, a.target): a for a in found.maps if a.region == "mask"}

    distance = distance_to_mask(mask)
    rankings: dict[str, tuple[np.ndarray, list[str]]] = {
        "random": (random_ranked, target_names),
        "distance to mask": (order(1.0 / np.maximum(distance, 1e-6), known, seed), target_names),
    }
    for (method, target), attribution in on_mask.items():
        if f"curves/{method}/{target}" in plan.chosen:
            score = np.abs(attribution.pixel_map())
            rankings[f"{method}/{target}"] = (order(score, known, seed), [target])
    found.curves = curves(targets, rgb, rankings, p.curve_fraction, p.curve_steps, passes)  # type: ignore[attr-defined]
    by_key = {(c.ranking, c.target): c for c in found.curves}

    random_infidelity: dict[str, float] = {}
    memos = _forwards(passes)
    for target in target_names:
        if f"infidelity/{target}" in plan.chosen:
            noise = np.random.default_rng(seed).normal(0.0, 1.0, (3, *mask.shape))
            random_infidelity[target] = infidelity_of(
                memos[target],
                rgb,
                noise,
                p.infidelity_samples,  # type: ignore[attr-defined]
                p.noise_levels / 255.0,  # type: ignore[attr-defined]
                seed,
            )
    series: dict[tuple[str, str], RandomisationSeries] = {
        (s.method, s.target): s for s in (randomisation.series if randomisation else [])
    }
    for (method, target), attribution in sorted(on_mask.items()):
        checks: dict[str, Verdict] = {}
        reasons: list[str] = []
        curve = by_key.get((f"{method}/{target}", target))
        if curve is not None:
            passed, why = curve_verdict(
                curve, by_key[("random", target)], by_key[("distance to mask", target)]
            )
            checks["curves"] = "passed" if passed else "failed"
            reasons.append(why)
        else:
            checks["curves"] = "not measured"
            reasons.append(
                "curves not measured: "
                + plan.refused.get(f"curves/{method}/{target}", "not planned")
            )
        value = None
        if target in random_infidelity:
            value = infidelity_of(
                memos[target],
                rgb,
                attribution.raw,
                p.infidelity_samples,  # type: ignore[attr-defined]
                p.noise_levels / 255.0,  # type: ignore[attr-defined]
                seed,
            )
            ratio = random_infidelity[target] / max(value, 1e-30)
            checks["infidelity"] = "passed" if value < random_infidelity[target] else "failed"
            reasons.append(
                f"infidelity {value:.3g} against {random_infidelity[target]:.3g} for a random "
                f"map ({ratio:.3g}x lower is better; it favours the plain gradient when the "
                "model is nearly linear in its input)"
            )
        else:
            checks["infidelity"] = "not measured"
            reasons.append("infidelity not measured at this size (over the time budget)")
        delta = attribution.relative_delta()
        if delta is not None:
            ok = delta <= p.completeness_tolerance  # type: ignore[attr-defined]
            checks["completeness"] = "passed" if ok else "failed"
            reasons.append(
                f"completeness: the attributions sum to f(x) - f(black) within a relative "
                f"{delta:.2g} (tolerance {p.completeness_tolerance})"  # type: ignore[attr-defined]
            )
        check = series.get((method, target))
        if check is not None:
            checks["randomisation"] = check.verdict
            reasons.append(f"randomisation check: {check.reason}")
        else:
            checks["randomisation"] = "not measured"
            reasons.append("randomisation: no check on these weights was cited")
        measured = [v for v in checks.values() if v != "not measured"]
        verdict: Verdict = (
            "failed" if "failed" in measured else "passed" if measured else "not measured"
        )
        found.verdicts.append(
            MethodVerdict(
                method=method,
                target=target,
                verdict=verdict,
                checks=checks,
                reasons=reasons,
                completeness_delta=delta,
                infidelity=value,
                infidelity_random=random_infidelity.get(target),
            )
        )
    return found
