"""Clearance at scale: a 100,000-item training manifest against 100,000 registered works.

    python -m bench.bench_clearance [--works 100000] [--items 100000]

Registers one model over HTTP (JSON parsing, validation, storing the items, exact and
perceptual linking, the verdict, audit entries), then times a recomputation after a
change of terms. Target (issue 4): under 60 s. Runs on SQLite in a temporary folder.
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bench.bench_registry import insert_random_works
from governance.aimodels import clearance
from governance.aimodels.models import AiModel
from governance.app import create_app
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.settings import Settings
from rights.fingerprints import unsigned64
from rights.models import RightsHolder
from rights.terms import Use


def identity_restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The model under clearance: what it computes does not matter here."""
    return image


def near(code: int, rng: np.random.Generator, flips: int) -> str:
    """A pHash a few bits from `code`: a re-encoded copy of that work."""
    value = unsigned64(code)
    for bit in rng.choice(64, size=flips, replace=False):
        value ^= 1 << int(bit)
    return f"{value:016x}"


def build_manifest(
    codes: np.ndarray, items: int, rng: np.random.Generator
) -> tuple[dict[str, Any], int, int]:
    """1% exact copies of works, 1% perceptual copies, the rest unrelated (half with a pHash)."""
    exact = perceptual = items // 100
    out: list[dict[str, Any]] = []
    works = rng.choice(len(codes), size=exact + perceptual, replace=False)
    for i in works[:exact]:
        out.append({"sha256": f"{int(i):064x}", "source": f"https://example.org/{i}"})
    for i in works[exact:]:
        out.append({"sha256": f"{rng.bytes(32).hex()}", "phash": near(int(codes[i, 0]), rng, 3)})
    for n in range(items - len(out)):
        item: dict[str, Any] = {"sha256": rng.bytes(32).hex()}
        if n % 2:
            item["phash"] = rng.bytes(8).hex()
        out.append(item)
    dataset = {
        "name": "web scrape",
        "declared_license": "CC-BY-4.0",
        "legal_basis": "license",
        "acquired_at": "2026-03-01",
        "items": out,
    }
    return {"datasets": [dataset]}, exact, perceptual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), register_builtin_models=False))
        services = app.state.services
        with Session(services.engine) as session:
            holder = RightsHolder(name="bench")
            session.add(holder)
            session.commit()
            codes = insert_random_works(session, holder.id, args.works, rng)
        with unit_of_work(services.engine) as session:
            key = create_key(session, services.audit, "admin", "bench")[1]
        body, exact, perceptual = build_manifest(codes, args.items, rng)
        client = TestClient(app)
        start = time.perf_counter()
        response = client.post(
            "/v1/models",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "name": "scraped-restorer",
                "kind": "restoration",
                "adapter": "python:bench.bench_clearance:identity_restore",
                "version": "1",
                "training_manifest": body,
            },
        )
        registered = time.perf_counter() - start
        assert response.status_code == 201, response.text[:500]
        model_id = response.json()["id"]
        with unit_of_work(services.engine) as session:
            model = session.get(AiModel, model_id)
            assert model is not None
            start = time.perf_counter()
            verdict, evidence = clearance.compute(session, model)
            recomputed = time.perf_counter() - start
        matched = evidence.uses[Use.AI_TRAINING].matched_items
        services.engine.dispose()
    table = Table("figure", "value", "target", title="clearance (SQLite, this machine)")
    table.add_row(
        f"register + clear {args.items:,} items against {args.works:,} works, over HTTP",
        f"{registered:.1f} s",
        "< 60 s",
    )
    table.add_row("recompute the verdict from stored links", f"{recomputed * 1000:.0f} ms", "")
    table.add_row(
        "items linked (planted: exact + perceptual)",
        f"{matched:,} ({exact:,} + {perceptual:,} planted)",
        "",
    )
    table.add_row("verdict", verdict.value, "")
    Console().print(table)


if __name__ == "__main__":
    main()
