"""Governance overhead of a call: governed latency minus the bare model call.

    python -m bench.bench_calls [--runs 30] [--size 512]

Same process, same input, 512 px: the bare call is the built-in model's own method;
the governed call is the HTTP request (upload parsing, decode, clearance, input-rights
match or prompt check, the model, PNG encoding, the record, the audit entry and its
signed checkpoint, the commit). Target (issue 4): overhead p50 under 50 ms.
"""

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.progress import track
from rich.table import Table

from governance.app import create_app
from governance.auth.service import create_key
from governance.builtin.damage import damage_mask
from governance.builtin.diffusion import BuiltinGenerator
from governance.builtin.inpainting import BuiltinInpainter
from governance.builtin.photos import load_photo
from governance.db import unit_of_work
from governance.settings import Settings


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def timed(function: Any, runs: int, label: str) -> list[float]:
    function()  # warm-up: first-call allocations and caches
    out = []
    for _ in track(range(runs), description=label):
        start = time.perf_counter()
        function()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    size = args.size
    photo = np.asarray(Image.fromarray(load_photo("astronaut")).resize((size, size)))
    mask = damage_mask(np.random.default_rng(3), size, size)
    mask_png = png((mask * 255).astype(np.uint8))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)))
        services = app.state.services
        with unit_of_work(services.engine) as session:
            key = create_key(session, services.audit, "operator", "bench")[1]
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {key}"}
        models = {
            m["name"]: m["id"] for m in client.get("/v1/models", headers=headers).json()["items"]
        }
        inpainter, generator = BuiltinInpainter.load(), BuiltinGenerator.load()
        image_png = png(photo)

        def governed_restore() -> None:
            response = client.post(
                "/v1/restorations",
                headers=headers,
                files={"file": ("in.png", image_png), "mask": ("m.png", mask_png)},
                data={"metadata": json.dumps({"model": models["builtin-restoration"]})},
            )
            assert response.json()["status"] == "pending_review", response.text[:300]

        def governed_generate() -> None:
            body = {
                "model": models["builtin-generation"],
                "prompt": "a cup of coffee",
                "seed": 1,
                "width": size,
                "height": size,
            }
            response = client.post("/v1/generations", headers=headers, json=body)
            assert response.json()["status"] == "released", response.text[:300]

        rows = []
        for name, bare, governed in [
            ("restoration", lambda: inpainter.restore(photo, mask), governed_restore),
            (
                "generation",
                lambda: generator.generate("a cup of coffee", 1, size, size),
                governed_generate,
            ),
        ]:
            bare_ms = timed(bare, args.runs, f"{name}: bare model")
            governed_ms = timed(governed, args.runs, f"{name}: governed over HTTP")
            overhead = [g - b for g, b in zip(sorted(governed_ms), sorted(bare_ms), strict=True)]
            rows.append((name, bare_ms, governed_ms, overhead))
        services.engine.dispose()
    table = Table(
        "call",
        "bare p50",
        "governed p50",
        "overhead p50",
        "overhead p95",
        "target",
        title=f"governance overhead, {size} px (SQLite, this machine)",
    )
    for name, bare_ms, governed_ms, overhead in rows:
        table.add_row(
            name,
            f"{statistics.median(bare_ms):.1f} ms",
            f"{statistics.median(governed_ms):.1f} ms",
            f"{statistics.median(overhead):.1f} ms",
            f"{float(np.percentile(overhead, 95)):.1f} ms",
            "< 50 ms",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
