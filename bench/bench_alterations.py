"""Altered-copy detection: false alarms on unaltered copies, edits found, time per comparison.

    nice python -m bench.bench_alterations [--set held-out|tuning] [--copies 6] [--edits 2]
                                           [--size 1024] [--only PART] [--seed 12]

Works are scikit-image's bundled pictures (longer side at most --size), split into a
tuning set (used to choose every parameter) and a held-out set (run once the
parameters were fixed). Every copy is made here with its exact query -> work
homography (bench/bench_alterations_cases.py), so nothing depends on the matcher;
each unaltered copy is also compared through a homography whose four corners are moved
2-3 work pixels in random directions, as a matcher's error would.

An edit (bench/bench_alterations_edits.py) counts as found when the copy is called
altered and one of its regions overlaps, with IoU >= 0.3 in the copy's pixels, the
box of the pixels the edit changed by more than CHANGED grey levels (a recoloured
black helmet changes only its highlights); "by mask box" judges by the box of the
edit's whole mask instead. An edit placed where the copy's crop leaves under half of
it is placed again. "stray" counts regions that touch neither.

Visibility is judged in the work, before the copy's steps: a grey copy can erase a
recolour that keeps the luminance, leaving a query pixel for pixel an unaltered copy.
So each edit table is followed by one judged in the copy itself: the same steps are
applied to the unedited work, and only edits that change that copy by MIN_CHANGE grey
levels on average over their mask are counted, against the box of the copy's pixels
they change by more than CHANGED. The same edits serve both tables. Prints markdown.
"""

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_alterations_cases as cases
from bench.bench_alterations_boxes import best_iou, box_of, iou, mask_in_copy
from bench.bench_alterations_edits import EDITS, MIN_CHANGE, OVERLAYS, visible_edit
from bench.bench_alterations_timing import run_timing
from rights.alterations import AlterationParams, Alterations, find_alterations

TUNING = ("astronaut", "camera", "coffee", "brick", "coins")
HELD_OUT = (
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "grass",
    "gravel",
    "moon",
    "clock",
    "page",
    "cell",
    "motorcycle",
    "colorwheel",
)
SEED = 12
IOU = 0.3
CHANGED = 8
SIZES = (0.05, 0.01, 0.10)
Family = Callable[[np.random.Generator], list[cases.Step]]


def _crop(rng: np.random.Generator, most: float) -> cases.Step:
    return cases.crop(*(float(v) for v in rng.uniform(0, most, 4)))


def _angle(rng: np.random.Generator, most: float = 15.0) -> float:
    return float(rng.uniform(-most, most))


def _tone(
    rng: np.random.Generator, contrast: tuple[float, float], gamma: tuple[float, float]
) -> cases.Step:
    return cases.tone(contrast=float(rng.uniform(*contrast)), gamma=float(rng.uniform(*gamma)))


def _mirror(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = image.shape[1]
    return image[:, ::-1].copy(), np.array([[-1.0, 0, w - 1], [0, 1, 0], [0, 0, 1]])


def _turn90(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # np.rot90 turns a quarter counter-clockwise: pixel (x, y) goes to (y, w - 1 - x)
    w = image.shape[1]
    return np.rot90(image).copy(), np.array([[0, 1.0, 0], [-1, 0, w - 1], [0, 0, 1]])


def _combination(rng: np.random.Generator) -> list[cases.Step]:
    return [
        _crop(rng, 0.15),
        cases.rotate(_angle(rng, 8)),
        cases.resize(float(rng.uniform(0.4, 0.8))),
        _tone(rng, (0.8, 1.25), (0.8, 1.25)),
        cases.jpeg(50),
    ]


UNALTERED: dict[str, Family] = {
    "JPEG q30": lambda rng: [cases.jpeg(30)],
    "resize 25%": lambda rng: [cases.resize(0.25)],
    "resize 25% + JPEG q50": lambda rng: [cases.resize(0.25), cases.jpeg(50)],
    "crop <= 20%/side": lambda rng: [_crop(rng, 0.2), cases.jpeg(75)],
    "rotation <= 15 deg": lambda rng: [cases.rotate(_angle(rng)), cases.jpeg(75)],
    "rotation then crop": lambda rng: [cases.rotate(_angle(rng), expand=False), _crop(rng, 0.2)],
    "crop then rotation (fill in frame)": lambda rng: [
        _crop(rng, 0.2),
        cases.rotate(_angle(rng)),
        cases.jpeg(75),
    ],
    "mirror": lambda rng: [_mirror, cases.jpeg(75)],
    "quarter turn": lambda rng: [_turn90, cases.jpeg(75)],
    "pad 20%": lambda rng: [cases.pad(0.2, tuple(int(c) for c in rng.integers(0, 256, 3)))],
    "brightness +-0.2": lambda rng: [cases.tone(brightness=float(rng.choice([-0.2, 0.2])))],
    "contrast 0.6-1.5": lambda rng: [cases.tone(contrast=float(rng.uniform(0.6, 1.5)))],
    "gamma 0.6-1.6": lambda rng: [cases.tone(gamma=float(rng.uniform(0.6, 1.6)))],
    "saturation 0.4-1.5": lambda rng: [cases.saturation(float(rng.uniform(0.4, 1.5)))],
    "grayscale": lambda rng: [cases.grey, cases.jpeg(75)],
    "grayscale + contrast": lambda rng: [
        cases.grey,
        cases.tone(contrast=float(rng.uniform(0.7, 1.4))),
    ],
    "combination": _combination,
}

EDITED: dict[str, Family] = {
    "PNG": lambda rng: [],
    "JPEG q30": lambda rng: [cases.jpeg(30)],
    "resize 50%": lambda rng: [cases.resize(0.5), cases.jpeg(75)],
    "rotation + crop": lambda rng: [
        cases.rotate(_angle(rng), expand=False),
        _crop(rng, 0.15),
        cases.jpeg(75),
    ],
    "tone": lambda rng: [_tone(rng, (0.8, 1.3), (0.7, 1.4))],
    "grayscale": lambda rng: [cases.grey, cases.jpeg(75)],
    "combination": _combination,
}
SMALL_AND_LARGE = ("PNG", "JPEG q30", "rotation + crop")


def row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def timed(query: np.ndarray, work: np.ndarray, homography: np.ndarray) -> tuple[Alterations, float]:
    start = time.perf_counter()
    result = find_alterations(query, work, homography)
    return result, time.perf_counter() - start


def run_unaltered(works: dict[str, np.ndarray], copies: int, rng: np.random.Generator) -> None:
    threshold = AlterationParams().threshold / 255
    print("\n### Unaltered copies (called altered = false alarm)\n")
    row("family", "copies", "alarms, exact H", "alarms, H off 2-3 px", "largest difference")
    row(*["---"] * 5)
    totals = [0, 0, 0]
    notes = []
    for family, steps in UNALTERED.items():
        alarms, worst, n = [0, 0], 0.0, 0
        for name, work in works.items():
            for _ in range(copies):
                copy = cases.apply(work, steps(rng))
                off = cases.misregistered(copy.query_to_work, copy.image.shape, rng, (2.0, 3.0))
                for column, homography in enumerate((copy.query_to_work, off)):
                    result, _ = timed(copy.image, work, homography)
                    worst = max(worst, result.peak)
                    if result.altered:
                        alarms[column] += 1
                        notes.append(f"{family} / {name} / {('exact', 'off')[column]}: ")
                        notes[-1] += ", ".join(str(r) for r in result.regions[:2])
                n += 1
        totals = [totals[0] + n, totals[1] + alarms[0], totals[2] + alarms[1]]
        row(
            family,
            n,
            f"{alarms[0]} ({alarms[0] / n:.1%})",
            f"{alarms[1]} ({alarms[1] / n:.1%})",
            f"{worst:.3f}",
        )
    n, a, b = totals
    row("**all**", n, f"{a} ({a / n:.2%})", f"{b} ({b / n:.2%})", f"threshold {threshold:.3f}")
    for note in notes:
        print(f"\n- alarm: {note}")


@dataclass(frozen=True)
class Case:
    found: bool  # by the box of what the edit changed in the work, carried into the copy
    iou: float
    stray: int  # regions touching neither box
    placements: int
    by_mask: bool  # by the box of the edit's whole mask
    in_copy: bool  # the edit still changes the copy: its copy differs from the plain copy
    found_in_copy: bool  # by the box of what the edit changed in the copy itself
    iou_in_copy: float


def edit_case(
    rng: np.random.Generator,
    work: np.ndarray,
    kind: str,
    fraction: float,
    donors: list[np.ndarray],
    family: Family,
) -> Case | None:
    for _ in range(20):
        made = visible_edit(rng, kind, work, fraction, donors)
        if made is None:
            return None
        edited, mask, placements = made
        steps = family(rng)
        copy = cases.apply(edited, steps)
        shown = mask_in_copy(mask, copy)
        kept = mask_in_copy(np.ones(mask.shape, bool), copy).sum() / mask.size
        changed = np.abs(edited.astype(np.int16) - work).max(axis=2) > CHANGED
        box, mask_box = box_of(mask_in_copy(changed & mask, copy)), box_of(shown)
        if box is not None and mask_box is not None and shown.sum() >= 0.5 * kept * mask.sum():
            break
    else:
        return None
    # The same copy of the unedited work: what the edit changes in the copy is what a
    # comparison could find (a grey copy erases a recolour that keeps the luminance).
    plain = cases.apply(work, steps).image
    in_copy = np.abs(copy.image.astype(np.int16) - plain).max(axis=2)
    copy_box = box_of((in_copy > CHANGED) & shown)
    visible = copy_box is not None and float(in_copy[shown].mean()) >= MIN_CHANGE
    result, _ = timed(copy.image, work, copy.query_to_work)
    found = result.altered and best_iou(result, box) >= IOU
    by_mask = result.altered and best_iou(result, mask_box) >= IOU
    iou_in_copy = best_iou(result, copy_box) if copy_box is not None else 0.0
    found_in_copy = visible and result.altered and iou_in_copy >= IOU
    stray = sum(iou((r.x, r.y, r.width, r.height), mask_box) == 0.0 for r in result.regions)
    return Case(
        found,
        best_iou(result, box),
        stray,
        placements,
        by_mask,
        visible,
        found_in_copy,
        iou_in_copy,
    )


def run_edits(works: dict[str, np.ndarray], edits: int, rng: np.random.Generator) -> None:
    print(f"\n### Local edits found (altered, and a region with IoU >= {IOU} with the edit)")
    cells: dict[tuple[float, str, str], list[Case]] = defaultdict(list)
    skipped = 0
    for name, work in works.items():
        donors = [other for key, other in works.items() if key != name]
        for fraction in SIZES:
            families = EDITED if fraction == 0.05 else {k: EDITED[k] for k in SMALL_AND_LARGE}
            for family_name, family in families.items():
                for kind in EDITS:
                    for _ in range(edits):
                        case = edit_case(rng, work, kind, fraction, donors, family)
                        if case is None:
                            skipped += 1
                        else:
                            cells[(fraction, family_name, kind)].append(case)
    for fraction in SIZES:
        _edit_table(cells, fraction, in_copy=False)
        _edit_table(cells, fraction, in_copy=True)
    if skipped:
        print(f"\n({skipped} edits were left out: no placement changed their work by")
        print(f"{MIN_CHANGE:.0f} grey levels on average, or none showed in their copy.)")


def _edit_table(
    cells: dict[tuple[float, str, str], list[Case]], fraction: float, in_copy: bool
) -> None:
    if in_copy:
        print(f"\n{fraction:.0%} of the area, judged in the copy: edits that change the copy")
        print(f"by {MIN_CHANGE:.0f} grey levels on average over their mask (against the same")
        print("copy of the unedited work), found by the box of what they change there\n")
    else:
        print(f"\n{fraction:.0%} of the area: found / edits (median best IoU)\n")
    row("copy", *EDITS, "all", "by mask box", "stray regions")
    row(*["---"] * (len(EDITS) + 4))
    families = EDITED if fraction == 0.05 else SMALL_AND_LARGE

    def judged(kind: str, family: str) -> list[Case]:
        return [c for c in cells[(fraction, family, kind)] if c.in_copy or not in_copy]

    for family_name in families:
        got = {kind: judged(kind, family_name) for kind in EDITS}
        flat = [c for kind in EDITS for c in got[kind]]
        row(
            family_name,
            *(_cell(got[kind], in_copy) for kind in EDITS),
            f"{_share(_found(c, in_copy) for c in flat)}",
            f"{_share(c.by_mask for c in flat)}",
            sum(c.stray for c in flat),
        )
    by_kind = {k: [c for f in families for c in judged(k, f)] for k in EDITS}
    everything = [c for k in EDITS for c in by_kind[k]]
    found = sum(_found(c, in_copy) for c in everything)
    row(
        "**all**",
        *(_cell(by_kind[kind], in_copy) for kind in EDITS),
        f"**{found}/{len(everything)} = {found / max(1, len(everything)):.1%}**",
        _share(c.by_mask for c in everything),
        sum(c.stray for c in everything),
    )
    if in_copy:
        every = [c for f in families for k in EDITS for c in cells[(fraction, f, k)]]
        hidden = [c for c in every if not c.in_copy]
        print(f"\n({len(hidden)} of {len(every)} edits changed their copy by less than that and")
        print(f"are not judged here; {sum(c.found for c in hidden)} of those were found anyway.)")
    else:
        placed_again = sum(c.placements > 1 for c in everything)
        print(f"\n({placed_again} of {len(everything)} edits were placed again: their first")
        print(f"place changed under {MIN_CHANGE:.0f} grey levels on average.)")


def _found(case: Case, in_copy: bool) -> bool:
    return case.found_in_copy if in_copy else case.found


def _cell(cases_: list[Case], in_copy: bool = False) -> str:
    if not cases_:
        return "-"
    found = sum(_found(c, in_copy) for c in cases_)
    ious = (c.iou_in_copy if in_copy else c.iou for c in cases_)
    return f"{found}/{len(cases_)} ({statistics.median(ious):.2f})"


def _share(flags: Iterable[bool]) -> str:
    values = list(flags)
    return f"{sum(values) / max(1, len(values)):.1%}"


def run_overlays(works: dict[str, np.ndarray], edits: int, rng: np.random.Generator) -> None:
    print("\n### Overlays on a copy (must be regions)\n")
    print("Found: altered, and region boxes cover >= 50% of the overlay's part over the work.\n")
    row("overlay", *EDITED)
    row(*["---"] * (len(EDITED) + 1))
    for overlay_name, overlay in OVERLAYS.items():
        cells = []
        for family in EDITED.values():
            hits = n = 0
            for work in works.values():
                for _ in range(edits):
                    copy = cases.apply(work, family(rng))
                    marked, mask = overlay(rng, copy.image)
                    result, _ = timed(marked, work, copy.query_to_work)
                    covered = np.zeros(mask.shape, bool)
                    for r in result.regions:
                        covered[r.y : r.y + r.height, r.x : r.x + r.width] = True
                    inside = mask & mask_in_copy(np.ones(work.shape[:2], bool), copy)
                    enough = (covered & inside).sum() >= 0.5 * max(1, inside.sum())
                    hits += bool(result.altered and enough)
                    n += 1
            cells.append(f"{hits}/{n}")
        row(overlay_name, *cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("held-out", "tuning"), default="held-out")
    parser.add_argument("--copies", type=int, default=6, help="copies per family and work")
    parser.add_argument("--edits", type=int, default=2, help="per kind, size, family, work")
    parser.add_argument("--size", type=int, default=1024, help="works' longer side, at most")
    parser.add_argument("--timing-runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=SEED, help="copies, edits and placements")
    parser.add_argument("--only", choices=("unaltered", "edits", "overlays", "timing"))
    args = parser.parse_args()
    names = HELD_OUT if args.set == "held-out" else TUNING
    works = {name: cases.load(name, args.size) for name in names}
    print(f"{args.set}: {', '.join(names)} (longer side <= {args.size}); seed {args.seed}")
    print(f"parameters: {AlterationParams()}")
    rng = np.random.default_rng(args.seed)
    parts = {
        "unaltered": lambda: run_unaltered(works, args.copies, rng),
        "edits": lambda: run_edits(works, args.edits, rng),
        "overlays": lambda: run_overlays(works, args.edits, rng),
        "timing": lambda: run_timing(args.timing_runs, args.seed),
    }
    for part, run in parts.items():
        if args.only in (None, part):
            run()


if __name__ == "__main__":
    main()
