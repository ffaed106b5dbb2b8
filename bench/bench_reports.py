"""Time a restoration report of the built-in restorer, part by part, on one thread.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice python -W ignore -m bench.bench_reports \
        [SIZE ...] [--curve-steps N] [--no-check]          (default sizes: 512 256)
    nice python -m bench.bench_reports units [SIZE]        (the planner's unit costs, 512)
    nice python -m bench.bench_reports steps [SIZE ...] [--photographs ...] [--masks ...]
                                                           (curve verdicts at 10 and 5 steps)

CPU seconds (time.process_time of this single-threaded process) are what the budget
(20 s at 512 px) is about: the cores are shared with other work, which stretches wall
time several-fold; wall seconds are printed beside them. `--curve-steps` builds the
report with another ReportParams.curve_steps, to compare AUCs and verdicts.
"""

import argparse
import io
import os
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from skimage import data, transform

import explain.analyse
import explain.report
from explain.analyse import _forwards
from explain.attribute import integrated_gradients, linear_integrated_gradients, saliency
from explain.faithfulness import curves, infidelity_of, order
from explain.geometry import distance_to_mask, regions, seeded_cracks
from explain.passes import MaskTargets, fixed_gradient, probes
from explain.plan import plan
from explain.randomisation import check_image, randomisation_check
from explain.report import ReportContext, ReportParams, explain_restoration
from explain.targets import build_targets, to_tensor
from explain.uncertainty import spread
from governance.builtin.inpainting import BuiltinInpainter

SPENT: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
TIMED = {
    explain.analyse: ["saliency", "integrated_gradients", "curves", "infidelity_of"],
    explain.report: ["spread", "what_changed", "reversibility", "_why", "render_page"],
}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name][0] += time.process_time() - cpu
            SPENT[name][1] += time.perf_counter() - wall

    return wrapper


def _cpu(function: Callable[[], Any], repeat: int = 3) -> float:
    function()
    cpu = time.process_time()
    for _ in range(repeat):
        function()
    return (time.process_time() - cpu) / repeat


def _infidelity(passes: MaskTargets, maps: int) -> None:
    """Infidelity of `maps` maps on both targets, as a report runs it (10 samples); the
    image's value is known and the fixed part's linear form checked beforehand."""
    shape = passes.rgb.shape[-2:]
    found = [np.random.default_rng(k).normal(0.0, 1.0, (3, *shape)) for k in range(maps)]
    for memo in _forwards(passes).values():
        for attribution in found:
            infidelity_of(memo, passes.rgb, attribution, 10, 2.0 / 255.0, 0)


def units(size: int) -> None:
    """CPU-s of each part the planner prices, and the same in forward passes."""
    torch.set_num_threads(1)
    parts = BuiltinInpainter.load().explainable()
    image, mask = check_image(size), seeded_cracks(size, 3, 0.07)
    found = regions(mask)
    targets = build_targets(parts, found.labels, found.order[:1])
    rgb = to_tensor(image)
    gradient = fixed_gradient(targets, rgb)
    checked = probes(rgb, np.arange(size * size), 0.1)
    batched = [rgb * (k / 8.0) for k in range(8)]

    def linear_passes() -> MaskTargets:
        passes = MaskTargets(targets, rgb)
        assert passes.use_linear(gradient, checked)
        return passes

    passes = linear_passes()
    image_value = float(targets.whole_mask(rgb)[0])

    # As a report's passes are when infidelity runs: the ends known, the form checked
    # (the memos that remember perturbed inputs are made afresh by each run).
    ready = linear_passes()
    ready.know_image(image_value)
    ready.whole_ends()

    def ig_whole(steps: int, batch: int) -> object:
        closed = linear_integrated_gradients(passes, gradient)
        cache = {("integrated_gradients", 0): closed}
        return integrated_gradients(targets, rgb, 0, steps, batch, cache, ends=passes)

    forward = _cpu(lambda: targets.whole_mask(rgb))
    costs = {
        "forward (no gradient, channels last)": forward,
        "curve pass, batched as the report does (whole + linear fixed), per input": _cpu(
            lambda: passes.values(batched), 1
        )
        / len(batched),
        "fixed part alone": _cpu(lambda: targets.fixed_mask(rgb)),
        "linear check (image, baseline, 2 probes)": _cpu(linear_passes),
        "saliency, whole only": _cpu(lambda: saliency(targets, rgb, 0, {("saliency", 0): 0}), 2),
        "fixed gradient": _cpu(lambda: fixed_gradient(targets, rgb), 2),
        "saliency of region 1, whole and fixed": _cpu(lambda: saliency(targets, rgb, 1), 2),
        "IG 4 steps, whole, fixed in closed form, batch 1": _cpu(lambda: ig_whole(4, 1), 1),
        "IG 4 steps, same, batch 2": _cpu(lambda: ig_whole(4, 2), 1),
        "IG fixed part closed form": _cpu(lambda: linear_integrated_gradients(passes, gradient)),
        "infidelity, 10 samples, both targets, 1 map each": _cpu(lambda: _infidelity(ready, 1), 1),
        "infidelity, 10 samples, both targets, 3 maps each": _cpu(lambda: _infidelity(ready, 3), 1),
        "uncertainty, 4 runs": _cpu(
            lambda: spread(image, mask, targets, lambda i, m: i, 4, 2.0, 0), 1
        ),
    }
    print(f"{size} px, load average {os.getloadavg()[0]:.2f}")
    print("| part | CPU-s | forward passes |\n|---|---|---|")
    for name, value in costs.items():
        print(f"| {name} | {value:.3f} | {value / forward:.2f} |")


PHOTOGRAPHS = ["astronaut", "coffee", "chelsea", "rocket"]


def _photograph(name: str, size: int) -> np.ndarray:
    photo = getattr(data, name)()
    resized = transform.resize(photo, (size, size), anti_aliasing=True)  # type: ignore[no-untyped-call]
    image: np.ndarray = (np.asarray(resized) * 255.0).round().astype(np.uint8)
    return image


def _verdicts(aucs: dict[tuple[str, str], tuple[float, float]]) -> dict[str, str]:
    """Each map's curve verdict as the report words it: passed, failed (beats random
    only) or failed."""
    found = {}
    for (ranking, target), (d, i) in aucs.items():
        if ranking in ("random", "distance to mask"):
            continue
        rd, ri = aucs[("random", target)]
        dd, di = aucs[("distance to mask", target)]
        if not (d < rd and i > ri):
            found[ranking] = "failed"
        elif d <= dd and i >= di:
            found[ranking] = "passed"
        else:
            found[ranking] = "beats random only"
    return found


def _auc(fractions: list[float], values: list[float]) -> float:
    """As explain.faithfulness.CurvePoints.auc, on a subset of the points."""
    xs, ys = np.asarray(fractions), np.asarray(values)
    return float(np.sum((ys[1:] + ys[:-1]) * np.diff(xs)) / 2.0 / xs[-1])


def _case(
    parts: Any, size: int, name: str, seed: int
) -> tuple[float, dict[str, str], dict[str, str]]:
    """Largest AUC change from 10 steps to 5, the verdicts at 10 and at 5."""
    image, mask = _photograph(name, size), seeded_cracks(size, seed, 0.07)
    targets = build_targets(parts, regions(mask).labels, [])
    rgb = to_tensor(image)
    cache: dict[tuple[str, int], Any] = {}
    maps = saliency(targets, rgb, 0, cache) + integrated_gradients(targets, rgb, 0, 4, 1, cache)
    known = ~mask
    distance = 1.0 / np.maximum(distance_to_mask(mask), 1e-6)
    rankings = {
        "random": (order(np.zeros(mask.shape), known, 0), ["whole", "correction"]),
        "distance to mask": (order(distance, known, 0), ["whole", "correction"]),
    }
    for a in maps:
        rankings[f"{a.method}/{a.target}"] = (order(np.abs(a.pixel_map()), known, 0), [a.target])
    found = curves(targets, rgb, rankings, 0.1, 10)
    fine = {(c.ranking, c.target): (c.deletion_auc, c.insertion_auc) for c in found}
    coarse = {
        (c.ranking, c.target): (
            _auc(c.fractions[::2], c.deletion[::2]),
            _auc(c.fractions[::2], c.insertion[::2]),
        )
        for c in found
    }
    moved = max(abs(a - b) for k in fine for a, b in zip(fine[k], coarse[k], strict=True))
    return moved, _verdicts(fine), _verdicts(coarse)


def steps(sizes: list[int], photographs: list[str], masks: list[int]) -> None:
    """Curves of 10 steps and of 5 (every other point of the same curves): how far the
    AUCs move and whether any curve verdict changes, for four maps per photograph. The
    report's check is passed only for "passed"; both other words are a failed check."""
    torch.set_num_threads(1)
    parts = BuiltinInpainter.load().explainable()
    print("| size | photograph | mask seed | max AUC change | verdicts (10 steps) | at 5 |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        for name in photographs:
            for seed in masks:
                moved, fine, coarse = _case(parts, size, name, seed)
                words = ", ".join(f"{k}: {v}" for k, v in sorted(fine.items()))
                changed = [f"{k}: {v}" for k, v in sorted(coarse.items()) if fine[k] != v]
                print(
                    f"| {size} | {name} | {seed} | {moved:.3f} | {words} | "
                    f"{', '.join(changed) or 'the same'} |",
                    flush=True,
                )


def report(size: int, restorer: BuiltinInpainter, params: ReportParams, check: Any) -> None:
    SPENT.clear()
    parts = restorer.explainable()
    image = check_image(size)
    mask = seeded_cracks(size, 3, 0.07)
    output = restorer.restore(image, mask)
    context = ReportContext(0, "builtin-restoration", "1", None, "", "", "", 1, check, None)
    cpu, wall = time.process_time(), time.perf_counter()
    built = explain_restoration(image, mask, output, parts, restorer.restore, context, params)
    total_cpu, total_wall = time.process_time() - cpu, time.perf_counter() - wall
    planned = plan(
        size,
        size,
        params.budget_units,
        True,
        params.uncertainty_runs,
        params.curve_steps,
        params.ig_steps,
        min(params.max_regions, len(regions(mask).order)),
        params.infidelity_samples,
    )
    print(
        f"\n{size} px, mask {100 * mask.mean():.1f}%: report {total_cpu:.1f} CPU-s, "
        f"{total_wall:.1f} s wall, {len(built.files)} files, "
        f"{sum(len(b) for _, b in built.files.values()) / 1e6:.1f} MB; planned "
        f"{planned.spent:.1f} of {planned.budget:.0f} units; curve steps {params.curve_steps}"
    )
    print("| part | CPU-s | wall s |\n|---|---|---|")
    for name, (c, w) in sorted(SPENT.items(), key=lambda kv: -kv[1][0]):
        print(f"| {name} | {c:.2f} | {w:.2f} |")
    rest = total_cpu - sum(c for c, _ in SPENT.values())
    print(f"| other | {rest:.2f} | |")
    refused = [n.method for n in built.report.not_offered[4:]]
    print("not offered at this size:", refused or "none")
    for v in built.report.faithfulness.verdicts:
        print(f"  {v.method}/{v.target}: {v.verdict} {dict(sorted(v.checks.items()))}")
        if v.completeness_delta is not None or v.infidelity is not None:
            print(
                f"    completeness delta {v.completeness_delta}, infidelity {v.infidelity} "
                f"(random map {v.infidelity_random})"
            )
    for curve in built.report.faithfulness.curves:
        print(
            f"  curve {curve.ranking} ({curve.target}): deletion AUC "
            f"{curve.deletion_auc:.4f}, insertion AUC {curve.insertion_auc:.4f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the process so far: {peak:.0f} MB")
    uncertainty = np.load(io.BytesIO(built.files["uncertainty.npy"][1]))
    print(f"  fill spread: mean {uncertainty[mask].mean():.3f}, max {uncertainty.max():.3f} levels")


def main(sizes: list[int], steps: int | None, with_check: bool) -> None:
    torch.set_num_threads(1)
    for module, names in TIMED.items():
        for name in names:
            setattr(module, name, _timed(name, getattr(module, name)))
    restorer = BuiltinInpainter.load()
    params = ReportParams() if steps is None else ReportParams(curve_steps=steps)
    print(f"load average {os.getloadavg()[0]:.2f}; torch threads {torch.get_num_threads()}")
    check = None
    if with_check:
        cpu, wall = time.process_time(), time.perf_counter()
        check = randomisation_check(restorer.explainable(), params)
        print(
            f"randomisation check (once per weights, {params.check_size} px): "
            f"{time.process_time() - cpu:.1f} CPU-s, {time.perf_counter() - wall:.1f} s wall"
        )
    for size in sizes:
        report(size, restorer, params, check)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*")
    parser.add_argument("--curve-steps", type=int)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--photographs", nargs="*", default=PHOTOGRAPHS)
    parser.add_argument("--masks", nargs="*", type=int, default=[3, 5, 7])
    args = parser.parse_args()
    if args.sizes[:1] == ["steps"]:
        steps([int(a) for a in args.sizes[1:]] or [256], args.photographs, args.masks)
    elif args.sizes[:1] == ["units"]:
        units(int(args.sizes[1]) if len(args.sizes) > 1 else 512)
    else:
        main([int(a) for a in args.sizes] or [512, 256], args.curve_steps, not args.no_check)
