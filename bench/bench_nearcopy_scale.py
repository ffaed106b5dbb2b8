"""Near-copy matching at scale: start-up to healthy, peak memory, memory per work, and
`find_near_copies` p50/p95 for a 512 px image.

    nice python bench/bench_nearcopy_scale.py --works 100000 [--queries 60] [--keep DIR]
    nice python bench/bench_nearcopy_scale.py --works 1000000 --filler-records empty
    nice python bench/bench_nearcopy_scale.py --measure DIR      # an already filled DIR

The registry is filled in bulk by bench/bench_nearcopy_scale_fill.py (`fill_registry`:
real works from scikit-image's photographs, synthetic fillers for the rest; it says
exactly how). The measurement runs in a fresh process, as a restarted service would:
the app is built, its start-up loads both indexes (pHash/dHash and near-copy words) in
bulk, and /healthz answers; then queries run through `find_near_copies` as the service
runs them (hashes, word vote, RANSAC over the top candidates, alterations on each
match), on 512 px images: copies of the held-out works in every family (rescaled so
their longer side is 512) and distractors (every pass of the search runs for them).
Peak memory is the process's maximum resident size (getrusage), which includes the
app's own imports and models; memory per work is the index arrays' bytes, and the
growth of resident memory over the load, per work.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_nearcopy_cases as cases
from bench.bench_nearcopy_scale_fill import fill_registry, settings_for

SIDE = 512


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _at_512(image: Image.Image) -> Image.Image:
    scale = SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def measure(data_dir: Path, database_url: str | None, queries: int) -> dict[str, Any]:
    """In this (fresh) process: start the app, load, answer /healthz, run queries."""
    import cv2
    from fastapi.testclient import TestClient

    from governance.app import create_app
    from governance.db import request_session
    from governance.works.nearcopy import find_near_copies

    cv2.setNumThreads(1)
    started = time.perf_counter()
    app = create_app(settings_for(data_dir, database_url))
    services = app.state.services
    built = time.perf_counter()
    rss_before = rss_bytes()
    with TestClient(app) as client:  # the lifespan: both indexes load here
        loaded = time.perf_counter()
        assert client.get("/healthz").json() == {"status": "ok"}
        healthy = time.perf_counter()
    rss_after = rss_bytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    works = len(services.near_copy_index)
    copies = cases.copies("heldout", per_work=1)
    step = max(1, len(copies) // queries)
    copy_queries = [(_at_512(q.image), q.source) for q in copies[::step]][:queries]
    distractors = [_at_512(q.image) for q in cases.distractors("heldout", max(10, queries // 3))]
    names = {}
    with request_session(services.engine) as session:
        real = text("SELECT id, title FROM works WHERE creator = 'scikit-image'")
        for work_id, title in session.execute(real):
            names[int(work_id)] = str(title)
    copy_ms, distractor_ms, found, false_positives = [], [], 0, 0
    for image, source in copy_queries:
        with request_session(services.engine) as session:
            t = time.perf_counter()
            matches = find_near_copies(session, services, image, limit=10)
            copy_ms.append(1000 * (time.perf_counter() - t))
        titles = [names.get(m.work_id, "") for m in matches]
        found += any(t.split("/")[0] == source for t in titles)
        false_positives += sum(not t.startswith(source) for t in titles)
    for image in distractors:
        with request_session(services.engine) as session:
            t = time.perf_counter()
            false_positives += len(find_near_copies(session, services, image, limit=10))
            distractor_ms.append(1000 * (time.perf_counter() - t))
    services.engine.dispose()
    return {
        "works": works,
        "build_s": built - started,
        "load_s": loaded - built,
        "startup_to_healthy_s": healthy - started,
        "rss_before_load": rss_before,
        "rss_after_load": rss_after,
        "peak_rss": peak,
        "near_copy_index_bytes": services.near_copy_index.memory_bytes(),
        "match_index_bytes": services.match_index.memory_bytes(),
        "copies": len(copy_ms),
        "copies_found": found,
        "false_positives": false_positives,
        "copy_p50_ms": statistics.median(copy_ms),
        "copy_p95_ms": float(np.percentile(copy_ms, 95)),
        "distractors": len(distractor_ms),
        "distractor_p50_ms": statistics.median(distractor_ms),
        "distractor_p95_ms": float(np.percentile(distractor_ms, 95)),
    }


def _table(figures: dict[str, Any], fill_s: float | None) -> Table:
    works = figures["works"]
    mb = 1024 * 1024
    table = Table("figure", "value", title=f"near copies at {works:,} works (this machine)")
    if fill_s is not None:
        table.add_row("bulk fill of the database", f"{fill_s:.0f} s")
    table.add_row(
        "start-up to healthy (app built, both indexes loaded)",
        f"{figures['startup_to_healthy_s']:.1f} s",
    )
    table.add_row("  of which the indexes' bulk load", f"{figures['load_s']:.1f} s")
    table.add_row("peak resident memory of the process", f"{figures['peak_rss'] / mb:,.0f} MB")
    table.add_row(
        "resident memory before / after the load",
        f"{figures['rss_before_load'] / mb:,.0f} / {figures['rss_after_load'] / mb:,.0f} MB",
    )
    table.add_row(
        "near-copy index per work (arrays)", f"{figures['near_copy_index_bytes'] / works:,.0f} B"
    )
    table.add_row("hash index per work (arrays)", f"{figures['match_index_bytes'] / works:,.0f} B")
    table.add_row(
        "resident growth over the load, per work",
        f"{(figures['rss_after_load'] - figures['rss_before_load']) / works:,.0f} B",
    )
    table.add_row(
        "find_near_copies p50 / p95, 512 px copies",
        f"{figures['copy_p50_ms']:.0f} / {figures['copy_p95_ms']:.0f} ms",
    )
    table.add_row(
        "find_near_copies p50 / p95, 512 px distractors",
        f"{figures['distractor_p50_ms']:.0f} / {figures['distractor_p95_ms']:.0f} ms",
    )
    table.add_row("copies found (sanity)", f"{figures['copies_found']} of {figures['copies']}")
    table.add_row("matches to a wrong work or a distractor", str(figures["false_positives"]))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--filler-records", choices=["stand-in", "empty"], default="stand-in")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--keep", type=Path, default=None, help="fill this folder and keep it")
    parser.add_argument("--measure", type=Path, default=None, help="measure a filled folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.measure is not None:
        figures = measure(args.measure, args.database_url, args.queries)
        print(json.dumps(figures) if args.json else "", end="")
        if not args.json:
            Console(width=120).print(_table(figures, None))
        return
    with tempfile.TemporaryDirectory(dir=args.keep.parent if args.keep else None) as tmp:
        data_dir = args.keep or Path(tmp) / "data"
        started = time.perf_counter()
        fill_registry(
            data_dir, args.works, database_url=args.database_url, filler_records=args.filler_records
        )
        fill_s = time.perf_counter() - started
        command = [sys.executable, __file__, "--measure", str(data_dir), "--json"]
        command += ["--queries", str(args.queries)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
    Console(width=120).print(_table(figures, fill_s))


if __name__ == "__main__":
    main()
