"""Governance overhead of a call: governed latency minus the bare model call.

    python -m bench.bench_calls [--runs 30] [--size 512]

Same process, same input, 512 px: the bare call is the built-in model's own method;
the governed call is the HTTP request (upload parsing, decode, clearance, input-rights
match or prompt check, the model, PNG encoding, the record, the audit entry and its
signed checkpoint, the commit). Target (issue 4): overhead p50 under 50 ms.

Two figures, because a 0.5 s model on two cores varies by more than the overhead:
the difference of the medians, and the direct one: each governed call's latency less
its own model run (the `run_ms` the call records). Bare and governed runs alternate,
and the bare ones run on a long-lived thread as the governed ones do (torch's OpenMP
team belongs to its thread).
"""

import argparse
import io
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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


def alternate(bare: Any, governed: Any, runs: int, label: str) -> tuple[list[float], ...]:
    """Bare and governed runs in turn: (bare ms, governed ms, governed less its model)."""
    worker = ThreadPoolExecutor(max_workers=1)
    worker.submit(bare).result()  # warm-up: first-call allocations and caches
    governed()
    bare_ms, governed_ms, direct_ms = [], [], []
    for _ in track(range(runs), description=label):
        start = time.perf_counter()
        worker.submit(bare).result()
        bare_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        model_ms = governed()
        total = (time.perf_counter() - start) * 1000
        governed_ms.append(total)
        direct_ms.append(total - model_ms)
    worker.shutdown()
    return bare_ms, governed_ms, direct_ms


def model_ms(call: dict[str, Any]) -> float:
    stage = next(s for s in call["stages"] if s["name"] == "model")
    return float(stage["evidence"]["run_ms"])


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

        def governed_restore() -> float:
            response = client.post(
                "/v1/restorations",
                headers=headers,
                files={"file": ("in.png", image_png), "mask": ("m.png", mask_png)},
                data={"metadata": json.dumps({"model": models["builtin-restoration"]})},
            )
            assert response.json()["status"] == "pending_review", response.text[:300]
            return model_ms(response.json())

        def governed_generate() -> float:
            body = {
                "model": models["builtin-generation"],
                "prompt": "a cup of coffee",
                "seed": 1,
                "width": size,
                "height": size,
            }
            response = client.post("/v1/generations", headers=headers, json=body)
            assert response.json()["status"] == "released", response.text[:300]
            return model_ms(response.json())

        rows = []
        for name, bare, governed in [
            ("restoration", lambda: inpainter.restore(photo, mask), governed_restore),
            (
                "generation",
                lambda: generator.generate("a cup of coffee", 1, size, size),
                governed_generate,
            ),
        ]:
            bare_ms, governed_ms, direct_ms = alternate(bare, governed, args.runs, name)
            rows.append((name, bare_ms, governed_ms, direct_ms))
        services.engine.dispose()
    table = Table(
        "call",
        "bare p50",
        "governed p50",
        "difference of p50s",
        "governed less its model, p50 (p95)",
        "target",
        title=f"governance overhead, {size} px (SQLite, this machine)",
    )
    for name, bare_ms, governed_ms, direct_ms in rows:
        table.add_row(
            name,
            f"{statistics.median(bare_ms):.1f} ms",
            f"{statistics.median(governed_ms):.1f} ms",
            f"{statistics.median(governed_ms) - statistics.median(bare_ms):.1f} ms",
            f"{statistics.median(direct_ms):.1f} ms ({float(np.percentile(direct_ms, 95)):.1f})",
            "< 50 ms",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
