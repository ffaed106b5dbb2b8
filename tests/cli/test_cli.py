"""The `govern` command line, run as a user would."""

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from governance.app import create_app
from governance.auth.models import ApiKey, Role
from governance.cli import demo_reviews
from governance.cli.demo import DEMO_WORKS
from governance.cli.main import app
from governance.settings import Settings, get_settings
from tests.support.helpers import encode, photo, png_bytes

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_keys_create_prints_a_working_key(env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "auditor", "--name", "Audit"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("gov_") and len(key) > 40
    from fastapi.testclient import TestClient

    from governance.app import create_app

    client = TestClient(create_app(get_settings()))
    assert client.get("/v1/works", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    bad = runner.invoke(app, ["keys", "create", "--role", "wizard", "--name", "x"])
    assert bad.exit_code == 2 and "unknown role" in bad.output
    key_id = result.output.split("key ", 1)[1].split(" ", 1)[0]
    revoked = runner.invoke(app, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    response = client.get("/v1/works", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    missing = runner.invoke(app, ["keys", "revoke", "9999"])
    assert missing.exit_code == 2 and "NotFound" in missing.output


def _create(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["keys", "create", *args])
    return result.exit_code, result.output


def _listed() -> list[dict[str, str]]:
    result = runner.invoke(app, ["keys", "list"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    return [dict(zip(header.split("\t"), row.split("\t"), strict=True)) for row in rows]


def test_keys_create_names_a_new_holder_or_an_existing_one_explicitly(env: Path) -> None:
    assert _create("--role", "rights_holder", "--name", "Rijksmuseum")[0] == 0
    # The same name again is refused, whatever the role, and says how to add a key.
    for role in ("rights_holder", "operator"):
        code, output = _create("--role", role, "--name", "Rijksmuseum")
        assert code == 2 and "DuplicateHolder" in output and "--holder" in output
    # A name that differs only by case is the typo of an existing holder, not a new one.
    code, output = _create("--role", "rights_holder", "--name", "rijksmuseum")
    assert code == 2 and "DuplicateHolder" in output and "'Rijksmuseum'" in output
    # --holder adds to an existing holder and refuses one that does not exist.
    assert _create("--role", "rights_holder", "--holder", "Rijksmuseum")[0] == 0
    code, output = _create("--role", "rights_holder", "--holder", "Rijksmusuem")
    assert code == 2 and "HolderNotFound" in output
    code, output = _create("--role", "operator", "--holder", "rijksmuseum")
    assert code == 2 and "HolderNotFound" in output and "did you mean 'Rijksmuseum'" in output
    # An operator's holder can get a key of another role.
    assert _create("--role", "operator", "--name", "Ops desk")[0] == 0
    assert _create("--role", "auditor", "--holder", "Ops desk")[0] == 0
    for both in (
        ("--role", "operator"),
        ("--role", "operator", "--name", "A", "--holder", "Ops desk"),
        ("--role", "operator", "--name", "  "),
    ):
        code, output = _create(*both)
        assert code == 2 and "InvalidInput" in output
    listed = _listed()
    assert [(k["name"], k["role"], k["holder"]) for k in listed] == [
        ("Rijksmuseum", "rights_holder", "Rijksmuseum"),
        ("Rijksmuseum", "rights_holder", "Rijksmuseum"),
        ("Ops desk", "operator", "-"),
        ("Ops desk", "auditor", "-"),
    ]
    # Both of the museum's keys act for the one rights holder; refusals stored nothing.
    from sqlmodel import Session, col, func, select

    from governance.audit.models import AuditEntry
    from governance.auth.models import ApiKey
    from governance.db import make_engine
    from rights.models import RightsHolder

    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(RightsHolder)).one() == 1
        holder_ids = set(
            session.exec(select(ApiKey.holder_id).where(ApiKey.role == "rights_holder"))
        )
        assert len(holder_ids) == 1
        kinds = session.exec(select(AuditEntry.kind).where(col(AuditEntry.kind).startswith("key.")))
        assert list(kinds) == ["key.created"] * 4
    engine.dispose()


def test_a_rights_holder_without_keys_is_an_existing_holder(env: Path) -> None:
    from sqlmodel import Session

    from governance.db import make_engine, migrate
    from rights.models import RightsHolder

    url = get_settings().database_url
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        # As `works import --holder` leaves it: a rights holder that has no key yet.
        session.add(RightsHolder(name="Lender"))
        session.commit()
        (lender_id,) = session.exec(select(RightsHolder.id)).all()
    engine.dispose()
    code, output = _create("--role", "rights_holder", "--name", "Lender")
    assert code == 2 and "DuplicateHolder" in output
    assert _create("--role", "rights_holder", "--holder", "Lender")[0] == 0
    (key,) = _listed()
    assert (key["name"], key["holder"]) == ("Lender", "Lender")
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.exec(select(ApiKey.holder_id)).all() == [lender_id]
    engine.dispose()


def test_keys_list_shows_revocation_and_never_a_secret(env: Path) -> None:
    assert _listed() == []
    code, output = _create("--role", "admin", "--name", "Tab\there")
    secret = output.strip().splitlines()[-1]
    assert code == 0 and secret.startswith("gov_")
    assert runner.invoke(app, ["keys", "revoke", "1"]).exit_code == 0
    result = runner.invoke(app, ["keys", "list"])
    assert secret not in result.output and secret[4:20] not in result.output
    (key,) = _listed()
    assert key["id"] == "1" and key["name"] == "Tab\\there" and key["role"] == "admin"
    assert key["created"].startswith("20") and key["revoked"].startswith("20")


def test_works_import_registers_good_files_and_reports_bad_ones(env: Path) -> None:
    folder = env / "incoming"
    folder.mkdir()
    (folder / "astronaut.png").write_bytes(png_bytes("astronaut"))
    (folder / "coffee.jpg").write_bytes(encode(photo("coffee"), "JPEG", quality=90))
    (folder / "broken.png").write_bytes(png_bytes("camera")[:3000])
    (folder / "stray.png").write_bytes(png_bytes("moon"))
    rows = [
        {
            "file": "astronaut.png",
            "title": "Astronaut",
            "creator": "NASA",
            "license": "CC0-1.0",
            "ai_generative_training": "notAllowed",
            "terms": "",
        },
        {
            "file": "coffee.jpg",
            "title": "Coffee",
            "creator": "R. M.",
            "license": "CC-BY-4.0",
            "ai_generative_training": "",
            "terms": json.dumps({"ai_training": "allowed"}),
        },
        {
            "file": "broken.png",
            "title": "Broken",
            "creator": "x",
            "license": "MIT",
            "ai_generative_training": "",
            "terms": "",
        },
        {
            "file": "missing.png",
            "title": "Gone",
            "creator": "x",
            "license": "MIT",
            "ai_generative_training": "",
            "terms": "",
        },
        {
            "file": "astronaut.png",
            "title": "Again",
            "creator": "x",
            "license": "Nope-1",
            "ai_generative_training": "",
            "terms": "",
        },
    ]
    with (folder / "works.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(app, ["works", "import", str(folder), "--holder", "Museum"])
    assert result.exit_code == 1, result.output  # some files were skipped
    assert "2 registered" in result.output and "4 skipped" in result.output
    for expected in ("broken.png", "CorruptImage", "missing.png", "stray.png", "InvalidLicense"):
        assert expected in result.output
    from sqlmodel import Session, select

    from governance.db import make_engine
    from rights.models import Work

    with Session(make_engine(get_settings().resolved_database_url)) as session:
        works = {w.title: w for w in session.exec(select(Work))}
    assert set(works) == {"Astronaut", "Coffee"}


def test_works_import_without_a_description_file(env: Path) -> None:
    (env / "empty").mkdir()
    result = runner.invoke(app, ["works", "import", str(env / "empty"), "--holder", "M"])
    assert result.exit_code == 2 and "works.json or works.csv" in result.output


def test_works_import_with_json_beside_the_folder(env: Path) -> None:
    folder = env / "loan"
    folder.mkdir()
    (folder / "rocket.png").write_bytes(png_bytes("rocket"))
    rows = [
        {
            "file": "rocket.png",
            "title": "Rocket",
            "creator": "S",
            "license": "CC0-1.0",
            "terms": {"ai_inference": "notAllowed"},
        }
    ]
    (env / "loan.json").write_text(json.dumps(rows))
    result = runner.invoke(app, ["works", "import", str(folder), "--holder", "Lender"])
    assert result.exit_code == 0, result.output
    assert "1 registered" in result.output
    elsewhere = env / "described.json"
    elsewhere.write_text("[{]")
    bad = runner.invoke(
        app, ["works", "import", str(folder), "--holder", "Lender", "--metadata", str(elsewhere)]
    )
    assert bad.exit_code == 2 and "not valid JSON" in bad.output


class _Stopped(Exception):
    """Raised in place of the demo's review act: a run left half-done."""


def _stop(*_: object, **__: object) -> None:
    raise _Stopped


def test_demo_runs_and_summarises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    demo = tmp_path / "demo-data"
    # A run stopped before its review act (its report jobs are most of the demo's time)
    # leaves a demo folder holding its works, models, calls and keys; the full run after
    # it must start afresh instead of failing on its own earlier works.
    with monkeypatch.context() as stopped:
        stopped.setattr(demo_reviews, "review_round", _stop)
        first = runner.invoke(app, ["demo", "--dir", "demo-data"])
    assert isinstance(first.exception, _Stopped), first.output
    earlier = sqlite3.connect(demo / "govern.db")
    titles = {title for (title,) in earlier.execute("SELECT title FROM works")}
    earlier.close()
    assert {work["title"] for work in DEMO_WORKS} <= titles, titles
    earlier_key = (demo / "audit-ed25519.pem").read_bytes()
    result = runner.invoke(app, ["demo", "--dir", "demo-data"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # as read, whatever the terminal's width
    assert "Registered 5 works" in said
    assert "matched work 1" in said
    assert "CorruptImage" in said and "DuplicateWork" in said
    assert "its bundle verified offline" in said
    assert "entries.jsonl: the root computed from all entries differs" in said
    bundle = demo / "audit-bundle"
    from governance.audit.keys import load_or_create_key
    from governance.audit.notes import verifier_key

    assert (demo / "audit-ed25519.pem").read_bytes() != earlier_key  # made afresh
    demo_key = load_or_create_key(None, demo / "audit-ed25519.pem")
    pinned = verifier_key("govern.local/audit", demo_key.public_key())
    verified = runner.invoke(app, ["audit", "verify", str(bundle), "--key", pinned])
    assert verified.exit_code == 0, verified.output
    # The demo ends with the pages' address and a key for each role; with them, the pages
    # of a service on the demo's data dir show the demo's works and calls.
    assert "http://127.0.0.1:8000/ui/login" in said
    keys = dict(re.findall(r"\(([a-z_]+)\): (gov_\S+)", result.output))
    assert set(keys) == {role.value for role in Role}, result.output
    served = TestClient(create_app(Settings(data_dir=demo, database_url="")))
    signed = served.post("/ui/login", data={"key": keys["auditor"], "next": "/ui/audit"})
    assert signed.status_code == 200 and "/ui/calls/1" in signed.text, signed.text
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.txt").write_text("do not delete")
    refused = runner.invoke(app, ["demo", "--dir", "precious"])
    assert refused.exit_code != 0
    assert (tmp_path / "precious" / "thesis.txt").exists()
