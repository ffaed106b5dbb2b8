"""Near-copy matching: recall per transform family, false positives, time and memory.

    nice python bench/bench_nearcopy.py [--split heldout] [--per-work 6] [--distractors 250]
                                        [--fillers 100000] [--candidates-only]

Material (bench/bench_nearcopy_cases.py): scikit-image's bundled photographs in two splits
fixed before measuring. `tuning` chose the thresholds (rights/nearcopy/verify.py) and trained
the vocabulary; `heldout` (the default) is what the README reports. Each registered work
is copied `--per-work` times in every family (seeded), and `--distractors` queries are
cut from pixels registered nowhere.

The index also holds `--fillers` synthetic works, so that the candidate stage has to
find a copy's work among that many: each filler is 500 postings drawn at random from the
ORB descriptors of the *other* split's photographs (about 70,000), each moved to a
neighbouring word (each half's centroid kept with probability 1/4, else replaced by one
of its 8 nearest) and its signature given 2 random flipped bits, as a similar keypoint of
another picture would be; without the move, 70,000 descriptors reused a million times
make posting lists 10-40 times longer than a real registry's. Fillers have no record of
their own: one voted into the top candidates takes a slot and is verified, as a real
work would be, against the record of one of the other split's pictures (filler id
modulo their count), so the time is a registry's and a match to it counts as a false
positive. `--candidates-only` times the candidate stage alone (for --fillers 1000000).

A query finds its copy when its own work is among the accepted matches; a match to a
work cut from another photograph is a false positive (for a distractor, any match is).
"transform right": of the found copies whose family fixes them, those whose reported
turn (within 2 degrees), mirror and inversion are right. Times are per query, wall and this
thread's CPU time (the CPU figure holds on a busy host, where wall time does not).
"""

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_nearcopy_cases as cases
from bench.bench_nearcopy_scale_fill import filler_postings
from rights.nearcopy.features import QUERY_KEYPOINTS, extract
from rights.nearcopy.record import WorkRecord
from rights.nearcopy.search import QUERY_NEAREST, NearCopy, NearCopyIndex, describe_work
from rights.nearcopy.verify import MIN_INLIERS
from rights.nearcopy.word_index import signatures

FILLER_ID = 10**9


@dataclass
class Tally:
    queries: int = 0
    found: int = 0
    first: int = 0  # the top match is from the right photograph
    wrong: int = 0  # matches to a work of another photograph
    fixed: int = 0  # found copies whose family fixes the transform
    right: int = 0
    inliers: list[int] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)
    cpu_millis: list[float] = field(default_factory=list)  # this thread's CPU time


def add_fillers(index: NearCopyIndex, split: str, count: int, seed: int = 3) -> None:
    other = "heldout" if split == "tuning" else "tuning"
    images = [w.image for w in cases.works(other)] + cases.distractor_sources(other)
    rng = np.random.default_rng(seed)
    batches = filler_postings(index.vocabulary, count, rng, 10_000, images)
    for start in track(range(0, count, 10_000), description=f"{count} fillers"):
        filler_words, noisy = next(batches)
        ids = range(FILLER_ID + start, FILLER_ID + start + len(filler_words))
        index.words.add_many(ids, list(filler_words), list(noisy))
    index.words.compact()


def transform_right(match: NearCopy, expect: cases.Expect) -> bool | None:
    t = match.transform
    if expect.rotation is None or expect.mirrored is None or expect.inverted is None:
        return None
    turn = (t.rotation_degrees - expect.rotation + 180.0) % 360.0 - 180.0
    return abs(turn) <= 2.0 and t.mirrored == expect.mirrored and t.inverted == expect.inverted


def time_candidates(index: NearCopyIndex, queries: list[cases.Query]) -> list[float]:
    millis = []
    for query in queries:
        features = extract(query.image, QUERY_KEYPOINTS)
        words = index.vocabulary.words(features.descriptors, QUERY_NEAREST)
        codes = signatures(features.descriptors)
        start = time.perf_counter()
        index.words.candidates(words, codes, 10)
        millis.append(1000 * (time.perf_counter() - start))
    return millis


def p50(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["heldout", "tuning"], default="heldout")
    parser.add_argument("--per-work", type=int, default=6)
    parser.add_argument("--distractors", type=int, default=250)
    parser.add_argument("--fillers", type=int, default=100_000)
    parser.add_argument("--candidates-only", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    console = Console(width=130)

    works = cases.works(args.split)
    index = NearCopyIndex()
    records: dict[int, WorkRecord] = {}
    sizes = []
    for work_id, work in enumerate(works):
        data = describe_work(work.image).to_bytes()
        sizes.append(len(data))
        records[work_id] = WorkRecord.from_bytes(data)
        index.add(work_id, records[work_id])
    if args.fillers:
        add_fillers(index, args.split, args.fillers)
    memory = index.memory_bytes() / len(index)
    copies = cases.copies(args.split, args.per_work)
    distractors = cases.distractors(args.split, args.distractors)
    candidate_ms = time_candidates(index, copies[:: max(1, len(copies) // 100)])
    console.print(
        f"{args.split} split: {len(works)} works + {args.fillers:,} fillers; index "
        f"{memory:,.0f} bytes/work in memory; records {statistics.mean(sizes):,.0f} bytes/work "
        f"stored; candidate stage p50 {p50(candidate_ms)} ms at {len(index):,} works"
    )
    if args.candidates_only:
        return

    other = "heldout" if args.split == "tuning" else "tuning"
    stand_ins = [describe_work(w.image) for w in cases.works(other)]

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return {i: records[i] if i in records else stand_ins[i % len(stand_ins)] for i in ids}

    names = {i: w for i, w in enumerate(works)}
    tallies = {family: Tally() for family in cases.FAMILY_NAMES}
    for query in track(copies, description="copies"):
        tally = tallies[query.family]
        start, cpu = time.perf_counter(), time.thread_time()
        matches = index.search(query.image, load)
        tally.millis.append(1000 * (time.perf_counter() - start))
        tally.cpu_millis.append(1000 * (time.thread_time() - cpu))
        tally.queries += 1
        own = [m for m in matches if m.work_id in names and names[m.work_id].name == query.work]
        tally.wrong += sum(
            m.work_id not in names or names[m.work_id].source != query.source for m in matches
        )
        if own:
            tally.found += 1
            tally.inliers.append(own[0].inliers)
            top = names.get(matches[0].work_id)
            tally.first += top is not None and top.source == query.source
            verdict = transform_right(own[0], query.expect)
            if verdict is not None:
                tally.fixed += 1
                tally.right += verdict
    false_positives, distractor_ms, distractor_cpu, worst = 0, [], [], 0
    for query in track(distractors, description="distractors"):
        start, cpu = time.perf_counter(), time.thread_time()
        matches = index.search(query.image, load)
        distractor_ms.append(1000 * (time.perf_counter() - start))
        distractor_cpu.append(1000 * (time.thread_time() - cpu))
        false_positives += bool(matches)
        weak = index.search(query.image, load, min_inliers=4)
        worst = max([worst, *(m.inliers for m in weak)])

    table = Table(title=f"near-copy recall, {args.split} split, min inliers {MIN_INLIERS}")
    for column in [
        "family",
        "copies",
        "recall",
        "top match right",
        "wrong-work matches",
        "transform right",
        "min / median inliers",
        "p50 ms",
        "p50 CPU ms",
    ]:
        table.add_column(column)
    for family, t in tallies.items():
        table.add_row(
            family,
            str(t.queries),
            f"{t.found / t.queries:.3f}",
            f"{t.first / t.queries:.3f}",
            str(t.wrong),
            f"{t.right}/{t.fixed}" if t.fixed else "-",
            f"{min(t.inliers)} / {statistics.median(t.inliers):.0f}" if t.inliers else "-",
            p50(t.millis),
            p50(t.cpu_millis),
        )
    console.print(table)
    copy_ms = [m for t in tallies.values() for m in t.millis]
    copy_cpu = [m for t in tallies.values() for m in t.cpu_millis]
    console.print(
        f"distractors: {len(distractors)}, false positives {false_positives}, most inliers any "
        f"distractor reached (bar 4) {worst}; query p50 {p50(copy_ms)} ms wall, "
        f"{p50(copy_cpu)} ms CPU (copies), {p50(distractor_ms)} ms wall, "
        f"{p50(distractor_cpu)} ms CPU (distractors: every pass runs)"
    )


if __name__ == "__main__":
    main()
