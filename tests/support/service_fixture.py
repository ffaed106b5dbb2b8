"""A running app on a test database, with one key per role."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from governance.app import create_app
from governance.audit.log import AuditLog
from governance.audit.models import AuditEntry
from governance.auth.models import ApiKey
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.settings import MB, Settings
from rights.models import Work, WorkFingerprint, WorkTermsVersion

KEYS = [
    ("rights_holder", "alice"),
    ("rights_holder", "bob"),
    ("auditor", "auditor"),
    ("regulator", "regulator"),
    ("operator", "operator"),
    ("admin", "admin"),
]


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    keys: dict[str, str]
    settings: Settings

    def stored(self) -> tuple[int, int, int, int, int]:
        """Works, fingerprints, terms versions, files, audit entries beyond the keys' own:
        what a registration leaves, and what must stay put when one is refused."""
        with Session(self.app.state.services.engine) as session:
            counts = [
                session.exec(select(func.count()).select_from(t)).one()
                for t in (Work, WorkFingerprint, WorkTermsVersion, AuditEntry)
            ]
        blob_dir = self.settings.blob_dir
        files = sum(1 for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.exists() else 0
        return counts[0], counts[1], counts[2], files, counts[3] - len(KEYS)


def make_service(database_url: str, data_dir: Path, **settings: object) -> Service:
    config = Settings(
        data_dir=data_dir,
        database_url=database_url,
        max_upload_bytes=settings.pop("max_upload_bytes", 2 * MB),  # type: ignore[arg-type]
        max_image_pixels=settings.pop("max_image_pixels", 4_000_000),  # type: ignore[arg-type]
        # Most tests need no model; those that do ask for the built-ins.
        register_builtin_models=settings.pop("register_builtin_models", False),  # type: ignore[arg-type]
        **settings,
    )  # type: ignore[arg-type]
    app = create_app(config)
    with unit_of_work(app.state.services.engine) as session:
        keys = {name: _key(session, app.state.services.audit, role, name) for role, name in KEYS}
    return Service(app, TestClient(app), keys, config)


def _key(session: Session, audit: AuditLog, role: str, name: str) -> str:
    """A new holder's key; a second service on the same database adds one to its holder."""
    if session.exec(select(ApiKey.id).where(ApiKey.name == name)).first() is None:
        return create_key(session, audit, role, name)[1]
    return create_key(session, audit, role, holder=name)[1]


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    svc = make_service(database_url, tmp_path / "data")
    yield svc
    svc.app.state.services.engine.dispose()


@pytest.fixture(scope="module")
def module_service(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One service per module and database, made once instead of once a test, for tests
    that leave it as they found it (each checks so, e.g. that `stored()` is unchanged)."""
    svc = make_service(module_database_url, tmp_path_factory.mktemp("module") / "data")
    yield svc
    svc.app.state.services.engine.dispose()
