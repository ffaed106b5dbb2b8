"""Labelling cost per output, and verification throughput on a folder.

    python -m bench.bench_labels [--runs 40] [--size 512] [--files 20]

Labelling: the `label` stage of governed generations through the HTTP app (visible
label off, then on; thumbnail off, then on), read from the stage's own duration and its
breakdown (watermark, fingerprint, PNG encoding with XMP, C2PA signing). The model is a
plain function returning a photograph, so nothing but the service is measured. Target
(issue 5): under 30 ms p50 at 512 px without a thumbnail.

Verification: `govern verify`'s own loop over a folder of outputs and their stripped
JPEG copies (the copies take the watermark search and the manifest recovery).
"""

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.table import Table

from governance.app import create_app
from governance.auth.service import create_key
from governance.cli.verify_files import verify_paths
from governance.db import unit_of_work
from governance.settings import Settings

ADAPTER = "python:bench.bench_labels:photo_generate"


def photo_generate(prompt: str, seed: int, width: int, height: int) -> np.ndarray:
    from skimage import data

    source = [data.astronaut, data.coffee, data.chelsea, data.rocket][seed % 4]()
    return np.asarray(Image.fromarray(source).resize((width, height)))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def label_runs(settings: Settings, runs: int, size: int, visible: bool) -> list[dict[str, Any]]:
    app = create_app(settings)
    services = app.state.services
    with unit_of_work(services.engine) as session:
        admin = create_key(session, services.audit, "admin", "bench-admin")[1]
        operator = create_key(session, services.audit, "operator", "bench")[1]
    client = TestClient(app)
    registered = client.post(
        "/v1/models",
        headers={"Authorization": f"Bearer {admin}"},
        json={
            "name": "bench-photo",
            "kind": "generation",
            "adapter": ADAPTER,
            "version": "1",
            "training_manifest": {
                "datasets": [
                    {
                        "name": "own photographs",
                        "declared_license": "CC0-1.0",
                        "items": [{"sha256": "0" * 64}],
                    }
                ]
            },
        },
    )
    model = registered.json()["id"]
    stages = []
    for run in range(runs + 2):
        body = {
            "model": model,
            "prompt": "a photograph",
            "seed": run,
            "width": size,
            "height": size,
            "visible_label": visible,
        }
        call = client.post(
            "/v1/generations", headers={"Authorization": f"Bearer {operator}"}, json=body
        ).json()
        assert call["status"] == "released", str(call)[:400]
        if run >= 2:  # the first calls warm caches (fonts, the worker thread)
            stages.append(next(s for s in call["stages"] if s["name"] == "label"))
    services.engine.dispose()
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    table = Table(title=f"label stage, {args.size} px, {args.runs} runs, medians of parts (ms)")
    table.add_column("labelling", no_wrap=True)
    for heading in (
        "p50",
        "p95",
        "row + audit lock",
        "visible",
        "watermark",
        "fingerprint",
        "PNG + XMP",
        "sign",
    ):
        table.add_column(heading)
    with tempfile.TemporaryDirectory() as tmp:
        for name, thumbnail, visible in [
            ("no thumbnail", False, False),
            ("no thumbnail, visible label", False, True),
            ("with thumbnail", True, False),
        ]:
            settings = Settings(
                data_dir=Path(tmp) / name.replace(" ", "-").replace(",", ""),
                register_builtin_models=False,
                c2pa_thumbnail=thumbnail,
                # Registration and clearance do not touch the label: keep them out.
                restorations_need_review=False,
            )
            stages = label_runs(settings, args.runs, args.size, visible)
            total = [s["duration_ms"] for s in stages]
            part = {
                k: statistics.median(s["evidence"]["timings_ms"][k] for s in stages)
                for k in (
                    "reserve_ms",
                    "visible_ms",
                    "watermark_ms",
                    "fingerprint_ms",
                    "encode_ms",
                    "sign_ms",
                )
            }
            table.add_row(
                name,
                f"{percentile(total, 50):.1f}",
                f"{percentile(total, 95):.1f}",
                f"{part['reserve_ms']:.1f}",
                f"{part['visible_ms']:.1f}",
                f"{part['watermark_ms']:.1f}",
                f"{part['fingerprint_ms']:.1f}",
                f"{part['encode_ms']:.1f}",
                f"{part['sign_ms']:.1f}",
            )
        console.print(table)
        console.print(verification(Path(tmp), args.files, args.size, console))


def verification(tmp: Path, files: int, size: int, console: Console) -> str:
    settings = Settings(data_dir=tmp / "verify", register_builtin_models=False)
    label_runs(settings, files - 2, size, False)  # outputs land in the blob store
    app = create_app(settings)
    services = app.state.services
    folder = tmp / "outputs"
    folder.mkdir()
    from sqlmodel import Session, select

    from governance.credentials.models import OutputLabel

    with Session(services.engine) as session:
        shas = [label.output_sha256 for label in session.exec(select(OutputLabel))]
    for i, sha in enumerate(shas):
        data = services.blobs.get(sha)
        (folder / f"output-{i:03}.png").write_bytes(data)
        buffer = io.BytesIO()
        Image.open(io.BytesIO(data)).convert("RGB").save(buffer, "JPEG", quality=85)
        (folder / f"stripped-{i:03}.jpg").write_bytes(buffer.getvalue())
    start = time.perf_counter()
    run = verify_paths(services, [folder], console)
    seconds = time.perf_counter() - start
    services.engine.dispose()
    found = sum(1 for r in run.rows if r.get("record"))
    return (
        f"verification: {len(run.rows)} files ({len(shas)} outputs, {len(shas)} stripped "
        f"JPEG copies) in {seconds:.2f} s = {len(run.rows) / seconds:.1f} files/s; "
        f"{found} traced back to their call"
    )


if __name__ == "__main__":
    main()
