"""Registering models in tests: manifests, items made from registered photographs, counts."""

import hashlib
from pathlib import Path
from typing import Any

import imagehash
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from governance.aimodels.models import AiModel, ClearanceLink, ModelClearance, TrainingItem
from governance.audit.models import AuditEntry
from governance.calls.models import ModelCall
from tests.support.helpers import auth, photo, png_bytes

FAKE_MODELS = Path(__file__).with_name("fake_models.py")
RESTORER = "python:tests.support.fake_models:blur_restore"
GENERATOR = "python:tests.support.fake_models:gradient_generate"


def item_of(name: str, exact: bool = True) -> dict[str, Any]:
    """A training item that is photograph `name`: the registered file's own bytes, or
    (not exact) a half-size copy known only by its perceptual hash."""
    if exact:
        return {"sha256": hashlib.sha256(png_bytes(name)).hexdigest(), "source": f"file:{name}"}
    small = photo(name).resize((photo(name).width // 2, photo(name).height // 2))
    return {
        "sha256": hashlib.sha256(small.tobytes()).hexdigest(),
        "phash": str(imagehash.phash(small)),
        "source": f"https://example.org/{name}-small.jpg",
    }


def unrelated_item(seed: int) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(f"unrelated {seed}".encode()).hexdigest()}


def manifest(*items: dict[str, Any], license: str = "CC0-1.0", **dataset: Any) -> dict[str, Any]:
    return {
        "datasets": [
            {
                "name": dataset.pop("name", "training set"),
                "declared_license": license,
                "concluded_license": dataset.pop("concluded_license", "NOASSERTION"),
                "legal_basis": dataset.pop("legal_basis", "license"),
                "acquired_at": "2026-01-15",
                "items": list(items),
                **dataset,
            }
        ]
    }


def register_model(
    client: TestClient,
    key: str,
    training_manifest: dict[str, Any],
    name: str = "restorer",
    kind: str = "restoration",
    adapter: str = RESTORER,
    **extra: Any,
) -> Any:
    body = {
        "name": name,
        "kind": kind,
        "adapter": adapter,
        "version": "1",
        "training_manifest": training_manifest,
        **extra,
    }
    return client.post("/v1/models", headers=auth(key), json=body)


def counts(engine: Any) -> dict[str, int]:
    """Rows that model registrations and calls leave behind."""
    with Session(engine) as session:
        return {
            t.__tablename__: session.exec(select(func.count()).select_from(t)).one()  # type: ignore[attr-defined]
            for t in (AiModel, TrainingItem, ClearanceLink, ModelClearance, ModelCall, AuditEntry)
        }
