"""Time per altered-copy comparison, for bench/bench_alterations.py (`--only timing`).

Everything runs on one thread (OpenCV's and the BLAS pools capped, as the service caps
them), and each comparison's CPU time (time.thread_time) is printed beside its wall
time: on a shared machine wall time also counts other processes' turns.

Two tables: the service's case, where a screened 512 px query is compared with a
work's stored reduced copy (at most 512 px), over several works and the common kinds of
copy; and one work at 512 px and 2048 px with a turned, cropped JPEG copy.
"""

import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bench import bench_alterations_cases as cases
from rights.alterations import find_alterations

SERVICE_WORKS = ("chelsea", "rocket", "motorcycle", "clock", "retina", "page")
SERVICE_SIDE = 512
Family = Callable[[np.random.Generator], list[cases.Step]]


def _service_families() -> dict[str, Family]:
    def turn(rng: np.random.Generator) -> list[cases.Step]:
        crop = cases.crop(*(float(v) for v in rng.uniform(0, 0.1, 4)))
        return [cases.rotate(float(rng.uniform(-8, 8)), expand=False), crop, cases.jpeg(75)]

    return {
        "JPEG q75": lambda rng: [cases.jpeg(75)],
        "grayscale": lambda rng: [cases.grey, cases.jpeg(75)],
        "tone": lambda rng: [cases.tone(contrast=float(rng.uniform(0.8, 1.3))), cases.jpeg(75)],
        "resize 70%": lambda rng: [cases.resize(0.7), cases.jpeg(75)],
        "turn + crop": turn,
    }


def _times(query: np.ndarray, work: np.ndarray, homography: np.ndarray) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    find_alterations(query, work, homography)
    return time.thread_time() - cpu, time.perf_counter() - wall


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def run_timing(runs: int, seed: int) -> None:
    cv2.setNumThreads(1)
    with threadpool_limits(limits=1):
        _service_case(runs, seed)
        _sizes(runs, seed)


def _service_case(runs: int, seed: int) -> None:
    print(f"\n### Time per comparison, the service's case (one thread, median of {runs} each)")
    print(f"\nworks {', '.join(SERVICE_WORKS)} at <= {SERVICE_SIDE} px; copies at most as large\n")
    _row("copy", "comparisons", "CPU ms median", "CPU ms p90", "wall ms median")
    _row(*["---"] * 5)
    rng = np.random.default_rng(seed)
    everything: list[tuple[float, float]] = []
    for family, steps in _service_families().items():
        measured: list[tuple[float, float]] = []
        for name in SERVICE_WORKS:
            work = cases.load(name, SERVICE_SIDE)
            copy = cases.apply(work, steps(rng))
            _times(copy.image, work, copy.query_to_work)  # warm the caches once
            measured += [_times(copy.image, work, copy.query_to_work) for _ in range(runs)]
        everything += measured
        _summary(family, measured)
    _summary("**all**", everything)


def _summary(label: str, measured: list[tuple[float, float]]) -> None:
    cpu = sorted(c * 1000 for c, _ in measured)
    wall = [w * 1000 for _, w in measured]
    p90 = cpu[min(len(cpu) - 1, int(0.9 * len(cpu)))]
    median_cpu, median_wall = statistics.median(cpu), statistics.median(wall)
    _row(label, len(cpu), f"{median_cpu:.1f}", f"{p90:.1f}", f"{median_wall:.1f}")


def _sizes(runs: int, seed: int) -> None:
    print(f"\n### Time per comparison by work size (one thread, median of {runs})\n")
    _row("work", "copy", "CPU ms", "wall ms")
    _row(*["---"] * 4)
    base = cases.load("rocket")
    rng = np.random.default_rng(seed)
    for side in (512, 2048):
        work = cases.apply(base, [cases.resize(side / max(base.shape[:2]))]).image
        angle = float(rng.uniform(-8, 8))
        crop = cases.crop(*(float(v) for v in rng.uniform(0, 0.1, 4)))
        copy = cases.apply(work, [cases.rotate(angle), crop, cases.jpeg(75)])
        measured = [_times(copy.image, work, copy.query_to_work) for _ in range(runs)]
        h, w = work.shape[:2]
        _row(
            f"{w}x{h}",
            f"{copy.image.shape[1]}x{copy.image.shape[0]}",
            f"{statistics.median(c for c, _ in measured) * 1000:.0f}",
            f"{statistics.median(w for _, w in measured) * 1000:.0f}",
        )
