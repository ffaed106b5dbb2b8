"""Time a restoration report of the built-in restorer, part by part, on one thread.

    nice python -m bench.bench_reports [SIZE ...]   (default: 256 512)
    nice python -m bench.bench_reports units [SIZE]  (the planner's unit costs, default 512)

CPU seconds (thread time) are what the budget (20 s at 512 px) is about; wall seconds
are printed beside them, since a shared machine can stretch them several-fold.
"""

import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import explain.analyse
import explain.report
from explain.analyse import _forwards
from explain.attribute import integrated_gradients, linear_integrated_gradients, saliency
from explain.faithfulness import infidelity_of
from explain.geometry import regions, seeded_cracks
from explain.passes import MaskTargets, fixed_gradient, probes
from explain.randomisation import check_image, randomisation_check
from explain.report import ReportContext, ReportParams, explain_restoration
from explain.targets import Targets, build_targets, to_tensor
from explain.uncertainty import spread
from governance.builtin.inpainting import BuiltinInpainter

SPENT: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
TIMED = {
    explain.analyse: ["saliency", "integrated_gradients", "curves", "infidelity_of"],
    explain.report: ["spread", "what_changed", "reversibility", "_why", "render_page"],
}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name][0] += time.thread_time() - cpu
            SPENT[name][1] += time.perf_counter() - wall

    return wrapper


def _cpu(function: Callable[[], Any], repeat: int = 3) -> float:
    function()
    cpu = time.thread_time()
    for _ in range(repeat):
        function()
    return (time.thread_time() - cpu) / repeat


def _infidelity(targets: Targets, rgb: torch.Tensor) -> None:
    maps = [np.random.default_rng(k).normal(0.0, 1.0, (3, *rgb.shape[-2:])) for k in range(3)]
    for memo in _forwards(targets, rgb).values():
        for attribution in maps:
            infidelity_of(memo, rgb, attribution, 10, 2.0 / 255.0, 0)


def units(size: int) -> None:
    """CPU-s of each part the planner prices, and the same in forward passes."""
    torch.set_num_threads(1)
    parts = BuiltinInpainter.load().explainable()
    image, mask = check_image(size), seeded_cracks(size, 3, 0.07)
    found = regions(mask)
    targets = build_targets(parts, found.labels, found.order[:1])
    rgb = to_tensor(image)
    forward = _cpu(lambda: targets.whole_mask(rgb))
    fixed = _cpu(lambda: targets.fixed_mask(rgb))
    gradient = fixed_gradient(targets, rgb)
    checked = probes(rgb, np.arange(size * size), 0.1)
    passes = MaskTargets(targets, rgb)
    assert passes.use_linear(gradient, checked)

    def check() -> bool:
        return MaskTargets(targets, rgb).use_linear(gradient, checked)

    def closed_form() -> object:
        return linear_integrated_gradients(targets, rgb, gradient)

    def uncertainty() -> object:
        return spread(image, mask, targets, lambda i, m: i, 4, 2.0, 0)

    costs = {
        "forward (no gradient, channels last)": forward,
        "fixed part alone": fixed,
        "curve pass (whole + linear fixed)": _cpu(lambda: passes.values([rgb])),
        "linear check (4 probes)": _cpu(
            lambda: MaskTargets(targets, rgb).use_linear(gradient, checked)
        ),
        "saliency, whole and fixed": _cpu(lambda: saliency(targets, rgb, 0), 2),
        "saliency, whole only": _cpu(lambda: saliency(targets, rgb, 0, {("saliency", 0): 0}), 2),
        "IG 4 steps, whole and fixed": _cpu(lambda: integrated_gradients(targets, rgb, 0, 4, 1), 1),
        "IG 4 steps, whole, fixed in closed form": _cpu(
            lambda: integrated_gradients(
                targets,
                rgb,
                0,
                4,
                1,
                {("integrated_gradients", 0): linear_integrated_gradients(targets, rgb, gradient)},
            ),
            1,
        ),
        "IG fixed part closed form": _cpu(
            lambda: linear_integrated_gradients(targets, rgb, gradient)
        ),
        "infidelity, 10 samples, both targets, 3 maps each": _cpu(
            lambda: _infidelity(targets, rgb), 1
        ),
        "uncertainty, 4 runs": _cpu(
            lambda: spread(image, mask, targets, lambda i, m: i, 4, 2.0, 0), 1
        ),
    }
    print(f"{size} px, load average {os.getloadavg()[0]:.2f}")
    print("| part | CPU-s | forward passes |\n|---|---|---|")
    for name, value in costs.items():
        print(f"| {name} | {value:.3f} | {value / forward:.2f} |")


def main(sizes: list[int]) -> None:
    torch.set_num_threads(1)
    for module, names in TIMED.items():
        for name in names:
            setattr(module, name, _timed(name, getattr(module, name)))
    restorer = BuiltinInpainter.load()
    parts = restorer.explainable()
    print(f"load average {os.getloadavg()[0]:.2f}; torch threads {torch.get_num_threads()}")
    cpu, wall = time.thread_time(), time.perf_counter()
    check = randomisation_check(parts, ReportParams())
    print(
        f"randomisation check (once per weights, 256 px): {time.thread_time() - cpu:.1f} "
        f"CPU-s, {time.perf_counter() - wall:.1f} s wall"
    )
    for size in sizes:
        SPENT.clear()
        image = check_image(size)
        mask = seeded_cracks(size, 3, 0.07)
        output = restorer.restore(image, mask)
        context = ReportContext(0, "builtin-restoration", "1", None, "", "", "", 1, check, None)
        cpu, wall = time.thread_time(), time.perf_counter()
        built = explain_restoration(image, mask, output, parts, restorer.restore, context)
        total_cpu, total_wall = time.thread_time() - cpu, time.perf_counter() - wall
        print(
            f"\n{size} px, mask {100 * mask.mean():.1f}%: report {total_cpu:.1f} CPU-s, "
            f"{total_wall:.1f} s wall, {len(built.files)} files, "
            f"{sum(len(b) for _, b in built.files.values()) / 1e6:.1f} MB"
        )
        print("| part | calls CPU-s | wall s |\n|---|---|---|")
        for name, (c, w) in sorted(SPENT.items(), key=lambda kv: -kv[1][0]):
            print(f"| {name} | {c:.2f} | {w:.2f} |")
        rest = total_cpu - sum(c for c, _ in SPENT.values())
        print(f"| other | {rest:.2f} | |")
        print(
            "not offered at this size:", [n.method for n in built.report.not_offered[4:]] or "none"
        )
        for v in built.report.faithfulness.verdicts:
            print(f"  {v.method}/{v.target}: {v.verdict} {dict(sorted(v.checks.items()))}")
        for curve in built.report.faithfulness.curves:
            print(
                f"  curve {curve.ranking} ({curve.target}): deletion AUC "
                f"{curve.deletion_auc:.4f}, insertion AUC {curve.insertion_auc:.4f}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak RSS of the process so far: {peak:.0f} MB")
        spread = np.load(__import__("io").BytesIO(built.files["uncertainty.npy"][1]))
        print(f"  fill spread: mean {spread[mask].mean():.3f}, max {spread.max():.3f} levels")


if __name__ == "__main__":
    if sys.argv[1:2] == ["units"]:
        units(int(sys.argv[2]) if len(sys.argv) > 2 else 512)
    else:
        main([int(a) for a in sys.argv[1:]] or [256, 512])
