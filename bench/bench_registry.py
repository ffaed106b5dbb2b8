"""Works registry figures: registration rate, match latency at scale, index memory per work.

    python bench/bench_registry.py [--works 200] [--index-size 100000] [--queries 200]

Runs on SQLite in a temporary folder; prints a table. Targets (issue 2): at least
20 registrations/s of 512 px images; match p50 under 20 ms at 100,000 works,
excluding image decoding.
"""

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy import insert
from sqlmodel import Session

from governance.app import create_app
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.images import decode_image
from governance.settings import Settings
from rights.fingerprints import fingerprint
from rights.models import RightsHolder, Work, WorkFingerprint, WorkTermsVersion, utcnow
from rights.registry import work_by_pixels
from rights.terms import combine

NO_TERMS = combine([])


def distinct_images(count: int, size: int = 512, seed: int = 7) -> list[bytes]:
    """Distinct 512 px PNGs: each its own random drawing (a gradient, 60 shapes in random
    colours, a little noise), so that no two share any part. Crops of the bundled
    photographs side by side would not do since near-copy matching: two pictures with
    overlapping crops of one photograph are near copies of each other, and one holder's
    near copies are refused as duplicates."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    out = []
    ramp = np.linspace(0.0, 1.0, size)
    for _ in range(count):
        low, high = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        angle = rng.uniform(0, np.pi)
        t = np.clip(np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None], 0, 1)
        background = low + (high - low) * t[..., None]
        image = Image.fromarray(background.astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(60):
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            x0, y0 = (int(v) for v in rng.integers(-32, size, 2))
            w, h = (int(v) for v in rng.integers(8, size // 3, 2))
            shape = rng.integers(4)
            if shape == 0:
                draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
            elif shape == 1:
                draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
            elif shape == 2:
                points = [tuple(int(v) for v in rng.integers(0, size, 2)) for _ in range(5)]
                draw.polygon(points, fill=colour)
            else:
                end = (x0 + w, y0 + h)
                draw.line((x0, y0, *end), fill=colour, width=int(rng.integers(1, 6)))
        pixels = np.asarray(image, dtype=np.int16) + rng.integers(-3, 4, (size, size, 3))
        buffer = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


HASH_ROWS = [
    ("phash", "original"),
    ("dhash", "original"),
    ("phash", "mirrored"),
    ("dhash", "mirrored"),
]


def insert_random_works(
    session: Session, holder_id: int | None, size: int, rng: np.random.Generator
) -> np.ndarray:
    """`size` works with random fingerprints, inserted in bulk; their codes, one row per
    work in HASH_ROWS order. Work i (from 0) gets id i + 1 and sha256 f"{i:064x}"."""
    batch = 10_000
    all_codes = []
    for start in track(range(0, size, batch), description=f"inserting {size} works"):
        n = min(batch, size - start)
        session.execute(
            insert(Work),
            [
                {
                    "holder_id": holder_id,
                    "title": "w",
                    "creator": "c",
                    "license": "MIT",
                    "sha256": f"{start + i:064x}",
                    "pixel_sha256": f"{start + i:064x}",
                    "media_type": "image/png",
                    "width": 512,
                    "height": 512,
                    "byte_size": 1,
                    "created_at": utcnow(),
                }
                for i in range(n)
            ],
        )
        codes = rng.integers(-(2**63), 2**63 - 1, size=(n, 4), dtype=np.int64)
        all_codes.append(codes)
        session.execute(
            insert(WorkFingerprint),
            [
                {
                    "work_id": start + i + 1,
                    "kind": kind,
                    "orientation": orientation,
                    "value": int(codes[i, j]),
                }
                for i in range(n)
                for j, (kind, orientation) in enumerate(HASH_ROWS)
            ],
        )
        session.execute(
            insert(WorkTermsVersion),
            [
                {
                    "work_id": start + i + 1,
                    "version": 1,
                    "effective_from": utcnow(),
                    "declared": {},
                    "embedded": {"reads": [], "signals": []},
                    "effective": NO_TERMS,
                    "changed_by": "bench",
                }
                for i in range(n)
            ],
        )
        session.commit()
    return np.concatenate(all_codes) if all_codes else np.empty((0, 4), dtype=np.int64)


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def bench_registration(root: Path, count: int) -> dict[str, float]:
    images = distinct_images(count)
    # With the built-in models: each registration is matched against their training items.
    app = create_app(Settings(data_dir=root / "reg"))
    with unit_of_work(app.state.services.engine) as session:
        key = create_key(session, app.state.services.audit, "rights_holder", "bench")[1]
    client = TestClient(app)
    meta = json.dumps(
        {
            "title": "t",
            "creator": "c",
            "license": "CC-BY-4.0",
            "terms": {"ai_training": "notAllowed"},
        }
    )
    headers = {"Authorization": f"Bearer {key}"}
    # One warm-up request: imports, native libraries and the first connection.
    client.post(
        "/v1/works",
        headers=headers,
        files={"file": ("w.png", images[0], "image/png")},
        data={"metadata": meta},
    )
    start = time.perf_counter()
    for data in track(images[1:], description="registering over HTTP"):
        response = client.post(
            "/v1/works",
            headers=headers,
            files={"file": ("w.png", data, "image/png")},
            data={"metadata": meta},
        )
        assert response.status_code == 201, response.text
    elapsed = time.perf_counter() - start
    app.state.services.engine.dispose()
    return {"works": count - 1, "seconds": elapsed, "per_second": (count - 1) / elapsed}


def bench_match(root: Path, size: int, queries: int) -> dict[str, float]:
    settings = Settings(data_dir=root / "match", register_builtin_models=False)
    app = create_app(settings)
    engine, index = app.state.services.engine, app.state.services.match_index
    rng = np.random.default_rng(11)
    with Session(engine) as session:
        holder = RightsHolder(name="bench")
        session.add(holder)
        session.commit()
        insert_random_works(session, holder.id, size, rng)
        rss_before = rss_bytes()
        load_start = time.perf_counter()
        index.refresh(session)
        load_seconds = time.perf_counter() - load_start
        rss_after = rss_bytes()
        decoded = [decode_image(d, settings) for d in distinct_images(queries)]
        hash_ms, search_ms, total_ms = [], [], []
        for image in decoded:
            t0 = time.perf_counter()
            prints = fingerprint(image.image)
            t1 = time.perf_counter()
            work_by_pixels(session, prints.pixel_sha256)
            index.refresh(session)
            index.search(prints, settings.match_phash_max, settings.match_dhash_max)
            t2 = time.perf_counter()
            hash_ms.append((t1 - t0) * 1000)
            search_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
    app.state.services.engine.dispose()
    return {
        "works": size,
        "load_seconds": load_seconds,
        "hash_p50_ms": statistics.median(hash_ms),
        "search_p50_ms": statistics.median(search_ms),
        "total_p50_ms": statistics.median(total_ms),
        "total_p95_ms": float(np.percentile(total_ms, 95)),
        "index_bytes_per_work": index.memory_bytes() / size,
        "rss_bytes_per_work": (rss_after - rss_before) / size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=200)
    parser.add_argument("--index-size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        registration = bench_registration(Path(tmp), args.works)
        matching = bench_match(Path(tmp), args.index_size, args.queries)
    table = Table("figure", "value", "target", title="works registry (SQLite, this machine)")
    table.add_row(
        "registrations/s, 512 px PNG over HTTP", f"{registration['per_second']:.1f}", ">= 20"
    )
    table.add_row(
        f"match p50 at {matching['works']:,} works, excl. decode",
        f"{matching['total_p50_ms']:.2f} ms",
        "< 20 ms",
    )
    table.add_row("  of which hashing p50", f"{matching['hash_p50_ms']:.2f} ms", "")
    table.add_row("  of which lookup + search p50", f"{matching['search_p50_ms']:.2f} ms", "")
    table.add_row("match p95, excl. decode", f"{matching['total_p95_ms']:.2f} ms", "")
    table.add_row("index load from database", f"{matching['load_seconds']:.2f} s", "")
    table.add_row(
        "index memory per work (arrays)", f"{matching['index_bytes_per_work']:.0f} B", "stated"
    )
    table.add_row(
        "process RSS growth per work", f"{matching['rss_bytes_per_work']:.0f} B", "stated"
    )
    console.print(table)


if __name__ == "__main__":
    main()
