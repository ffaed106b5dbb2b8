"""What the bundle tests export from: a few logged events, and the CLI pointed at them
(the fixtures are in tests/audit/conftest.py)."""

import pytest

from governance.settings import get_settings
from tests.support.helpers import auth, png_bytes, register
from tests.support.service_fixture import Service

PINNED: dict[str, str] = {}  # the log's verifier key, as a careful verifier obtains it


def log_events(service: Service) -> None:
    """Three registrations and three changes of terms: 12 entries with the keys'."""
    alice = service.keys["alice"]
    for name in ("coffee", "rocket", "moon"):
        work_id = register(service.client, alice, png_bytes(name)).json()["id"]
        service.client.put(
            f"/v1/works/{work_id}/terms",
            headers=auth(alice),
            json={"terms": {"ai_training": "notAllowed"}},
        )


def point_the_cli_at(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", service.settings.database_url)
    get_settings.cache_clear()
    PINNED["key"] = service.client.get("/v1/audit/key").json()["verifier_key"]
