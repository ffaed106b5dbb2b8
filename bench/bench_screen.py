"""Screening figures: `POST /v1/screen` latency, the screen stage's cost in a governed call,
and the two measurements the stage's constants stand on.

    nice python bench/bench_screen.py [--works 100000] [--queries 40] [--calls 5]
                                      [--database-url URL]

The registry is filled in bulk by bench/bench_nearcopy_scale_fill.py (`fill_registry`):
the held-out split's real works (scikit-image photographs, crops and left parts, kept as
registration keeps them) and 90 random crops of the tuning split's, plus fillers up to
`--works` (random hashes and near-copy postings drawn from real ORB descriptors, each
filler's record standing in as a real crop's: a filler voted into the candidates costs
a real verification). With `--works 0`, the real works alone (about 110).

1. `POST /v1/screen`, in process (FastAPI's TestClient: multipart parsing, decoding and
   the answer's JSON included, no network), p50/p95 over `--queries` 512 px JPEGs:
   altered copies of the held-out works (a 100 px patch of a photograph registered
   nowhere pasted in) and distractors cut from photographs registered nowhere,
   alternately. The parts are then timed alone, one after another (in the request the
   watermark search runs beside the matcher).
2. The screen stage in `--calls` built-in generations and restorations (256 px): its
   `duration_ms` as the call's record keeps it, and its own breakdown.
3. What the stage's constants stand on: the watermark's largest change to a pixel
   (stages/screen.py WATERMARK_MAX_CHANGE) and the built-in restorer outside its mask
   (screening/outside_mask.py DILATION_PX).
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
import skimage.data
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_nearcopy_cases as cases
from bench.bench_nearcopy_scale_fill import fill_registry
from governance.app import create_app
from governance.auth.models import Role
from governance.auth.service import create_key
from governance.db import read_only, unit_of_work
from governance.detectors.assess import assess_synthetic
from governance.images import decode_for_analysis, rgb_pixels
from governance.screening.service_output import service_output
from governance.services import Services
from governance.settings import MB, Settings
from governance.works.nearcopy import find_near_copies
from labeling.watermark import detect

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]  # restorations, marks, restorer
SIDE = 512
console = Console()
T = TypeVar("T")


def photo(name: str, side: int = SIDE) -> Image.Image:
    image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
    return image.resize((side, side), Image.Resampling.LANCZOS)


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def at_512(image: Image.Image) -> Image.Image:
    scale = SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def altered(image: Image.Image, other: Image.Image) -> Image.Image:
    """`image` with a 100 px patch of `other` pasted in near its middle."""
    pixels = np.asarray(image).copy()
    patch = np.asarray(other)[:100, :100]
    y, x = pixels.shape[0] // 2 - 50, pixels.shape[1] // 2 - 50
    pixels[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return Image.fromarray(pixels)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def keys(services: Services) -> dict[str, str]:
    with unit_of_work(services.engine) as session:
        return {
            role: create_key(session, services.audit, role, f"bench {role}")[1]
            for role in ("admin", "regulator", "operator")
        }


def time_requests(client: TestClient, key: str, queries: list[bytes]) -> list[tuple[float, float]]:
    """Each request's wall time, and the CPU time of every thread of this process."""
    headers = {"Authorization": f"Bearer {key}"}
    for data in queries[:2]:  # warm-up: first loads of the vocabulary and models
        client.post("/v1/screen", headers=headers, files={"file": ("q.jpg", data, "image/jpeg")})
    times = []
    for data in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post(
            "/v1/screen", headers=headers, files={"file": ("q.jpg", data, "image/jpeg")}
        )
        times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        assert response.status_code == 200, response.text
    return times


Timings = dict[str, list[tuple[float, float]]]  # part -> (wall ms, this thread's CPU ms)


def time_parts(services: Services, queries: list[bytes]) -> Timings:
    """Each part of a screen alone, in this thread: wall time, and CPU time (what the part
    costs a core whatever else the host runs)."""
    parts: Timings = {}
    for data in queries:
        with Session(read_only(services.engine)) as session:
            _time_one(session, services, data, parts)
    return parts


def _time_one(session: Session, services: Services, data: bytes, parts: Timings) -> None:
    def timed(name: str, work: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.thread_time()
        result = work()
        spent = ((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000)
        parts.setdefault(name, []).append(spent)
        return result

    decoded = timed(
        "decode", lambda: decode_for_analysis(data, services.settings, pixel_digest=True)
    )
    image, rgb = decoded.image, rgb_pixels(decoded.image)
    timed(
        "near copies (with altered regions)",
        lambda: find_near_copies(
            session, services, image, review=True, pixel_sha256=decoded.pixel_sha256
        ),
    )
    timed("detectors", lambda: assess_synthetic(session, services, rgb))
    mark = timed("watermark search (beside the matcher)", lambda: detect(rgb))
    timed(
        "service output look-ups",
        lambda: service_output(
            session, services, Role.ADMIN, data, decoded.media_type, image, mark
        ),
    )


def stage_costs(client: TestClient, keys_: dict[str, str], calls: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {keys_['operator']}"}
    rows = []
    for i in range(calls):
        body = {
            "model": "builtin-generation",
            "prompt": f"a harbour {i}",
            "seed": i,
            "width": 256,
            "height": 256,
        }
        response = client.post("/v1/generations", headers=headers, json=body)
        assert response.status_code == 201, response.text
        rows.append(response.json())
        mask = np.zeros((256, 256), dtype=np.uint8)
        mask[100:140, 90:160] = 255
        response = client.post(
            "/v1/restorations",
            headers=headers,
            files={
                "file": ("in.png", png(photo(PHOTOS[i % 4], 256)), "image/png"),
                "mask": ("mask.png", png(Image.fromarray(mask)), "image/png"),
            },
            data={"metadata": '{"model": "builtin-restoration"}'},
        )
        assert response.status_code == 201, response.text
        rows.append(response.json())
    return rows


def watermark_change() -> list[tuple[str, int, float, float]]:
    from labeling.watermark import embed

    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        image = np.asarray(photo(name, 256))
        change = np.abs(embed(image, "0123456789ab").astype(int) - image)
        out.append(
            (name, int(change.max()), float(np.percentile(change, 99)), float(change.mean()))
        )
    return out


def restorer_outside_mask() -> list[tuple[str, int, int, int]]:
    """Built-in restorer: pixels changed outside the mask as the adapter returns it, and
    the 95th percentile of its network's raw change within 4 px of the mask and far away."""
    from governance.builtin.inpainting import BuiltinInpainter

    inpainter = BuiltinInpainter.load()
    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        image = np.asarray(photo(name, 256))
        mask = np.zeros((256, 256), dtype=bool)
        mask[100:140, 90:160] = True
        kept = inpainter.restore(image, mask)
        raw = inpainter._forward(image, mask)
        distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
        raw_change = np.abs(raw.astype(int) - image).max(axis=2)
        near = raw_change[(distance > 0) & (distance <= 4)]
        far = raw_change[distance > 32]
        changed = int((np.abs(kept.astype(int) - image).max(axis=2)[~mask] > 0).sum())
        out.append((name, changed, int(np.percentile(near, 95)), int(np.percentile(far, 95))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=0, help="works in all, fillers included")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="PostgreSQL; SQLite by default")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as root:
        data_dir = Path(root) / "data"
        started = time.perf_counter()
        filled = fill_registry(data_dir, args.works, database_url=args.database_url)
        fill_s = time.perf_counter() - started
        extra = {"database_url": args.database_url} if args.database_url else {}
        settings = Settings(
            data_dir=data_dir, register_builtin_models=True, max_upload_bytes=20 * MB, **extra
        )
        app = create_app(settings)
        services: Services = app.state.services
        made = keys(services)
        with TestClient(app) as client:  # the start-up: the indexes load here
            queries = query_files(args.queries)
            requests = time_requests(client, made["regulator"], queries)
            parts = time_parts(services, queries)
            calls = stage_costs(client, made, args.calls)
        services.engine.dispose()
    console.print(f"filled {filled.works} works ({filled.fillers} fillers) in {fill_s:.0f} s")
    report(args, filled.works, requests, parts, calls)


def query_files(count: int) -> list[bytes]:
    """Altered copies of held-out works and distractors, alternately, as 512 px JPEGs."""
    works = [w.image for w in cases.works("heldout")]
    patches = cases.distractor_sources("heldout")
    distractors = [q.image for q in cases.distractors("heldout", max(1, count // 2))]
    files = []
    for i in range(count):
        if i % 2 == 0:
            image = at_512(works[(i // 2) % len(works)])
            files.append(jpeg(altered(image, at_512(patches[i % len(patches)]))))
        else:
            files.append(jpeg(at_512(distractors[(i // 2) % len(distractors)])))
    return files


def report(
    args: argparse.Namespace,
    works: int,
    requests: list[tuple[float, float]],
    parts: Timings,
    calls: list[dict[str, Any]],
) -> None:
    load = os.getloadavg()[0]
    table = Table(
        title=f"POST /v1/screen, 512 px JPEG, {works} works ({len(requests)} requests; "
        f"load average {load:.1f} on {os.cpu_count()} cores)"
    )
    for column in ("what", "wall p50 ms", "wall p95 ms", "CPU p50 ms", "CPU p95 ms"):
        table.add_column(column)
    rows = [("request (in process; CPU: all threads)", requests)] + [
        (f"  {name}", values) for name, values in parts.items()
    ]
    for name, values in rows:
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        table.add_row(
            name,
            f"{statistics.median(walls):.0f}",
            f"{percentile(walls, 95):.0f}",
            f"{statistics.median(cpus):.0f}",
            f"{percentile(cpus, 95):.0f}",
        )
    console.print(table)
    stages = Table(title="The screen stage in built-in calls, 256 px")
    for column in ("kind", "calls", "screen p50 ms", "model p50 ms", "screen breakdown p50 ms"):
        stages.add_column(column)
    for kind in ("generation", "restoration"):
        mine = [c for c in calls if c["kind"] == kind]
        if not mine:
            continue
        screen = [next(s for s in c["stages"] if s["name"] == "screen") for c in mine]
        model = [next(s for s in c["stages"] if s["name"] == "model") for c in mine]
        keys_ = screen[0]["evidence"]["timings_ms"].keys()
        breakdown = ", ".join(
            f"{k} {statistics.median(s['evidence']['timings_ms'][k] for s in screen):.0f}"
            for k in keys_
        )
        stages.add_row(
            kind,
            str(len(mine)),
            f"{statistics.median(s['duration_ms'] for s in screen):.0f}",
            f"{statistics.median(s['duration_ms'] for s in model):.0f}",
            breakdown,
        )
    console.print(stages)
    marks = Table(title="Watermark change per pixel, 256 px (grey levels)")
    for column in ("photo", "max", "p99", "mean"):
        marks.add_column(column)
    for name, most, p99, mean in watermark_change():
        marks.add_row(name, str(most), f"{p99:.0f}", f"{mean:.2f}")
    console.print(marks)
    restorer = Table(title="Built-in restorer outside a 70x40 mask, 256 px")
    for column in (
        "photo",
        "pixels changed (as returned)",
        "raw net p95 <=4 px",
        "raw net p95 >32 px",
    ):
        restorer.add_column(column)
    for name, changed, near, far in restorer_outside_mask():
        restorer.add_row(name, str(changed), str(near), str(far))
    console.print(restorer)


if __name__ == "__main__":
    main()
