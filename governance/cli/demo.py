"""`govern demo`: the service end to end, offline, on SQLite, through its real HTTP API."""

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from rich.table import Table

from governance.app import create_app
from governance.audit.bundle import write_bundle
from governance.audit.verify_bundle import BundleError, verify_bundle
from governance.auth.service import create_key
from governance.cli import demo_labels, demo_models, demo_reviews, demo_screening
from governance.db import unit_of_work
from governance.settings import Settings

MARKER = ".govern-demo"

# Photographs that scikit-image ships, registered with varied terms.
DEMO_WORKS: list[dict[str, Any]] = [
    {
        # The built-in generator learnt from this photograph: refusing generative
        # training blocks it. The built-in restorer never saw it (held out).
        "image": "astronaut",
        "holder": "alice",
        "title": "Astronaut portrait",
        "creator": "NASA",
        "license": "CC0-1.0",
        "terms": {"ai_generative_training": "notAllowed", "restoration": "allowed"},
    },
    {
        "image": "coffee",
        "holder": "alice",
        "title": "Cup of coffee",
        "creator": "Rachel Michetti",
        "license": "CC0-1.0",
        "terms": {"ai_training": "allowed", "data_mining": "allowed", "ai_inference": "notAllowed"},
    },
    {
        "image": "chelsea",
        "holder": "bob",
        "title": "Chelsea the cat",
        "creator": "Stefan van der Walt",
        "license": "CC-BY-4.0",
        "terms": {"ai_training": "allowed", "ai_generative_training": "allowed"},
    },
    {
        "image": "rocket",
        "holder": "bob",
        "title": "Rocket launch",
        "creator": "SpaceX",
        "license": "CC0-1.0",
        "terms": {"data_mining": "allowed"},
    },
    {
        "image": "immunohistochemistry",
        "holder": "alice",
        "title": "Stained tissue",
        "creator": "Unknown pathologist",
        "license": "CC-BY-NC-4.0",
        "terms": {
            "data_mining": "allowed",
            "ai_training": "allowed",
            "ai_generative_training": "allowed",
            "restoration": "notAllowed",
        },
    },
]


def encode(pixels: np.ndarray, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


def photograph(name: str) -> np.ndarray:
    import skimage.data

    pixels: np.ndarray = getattr(skimage.data, name)()
    return pixels


def prepare_directory(directory: Path) -> None:
    if directory.exists():
        if not (directory / MARKER).exists() and any(directory.iterdir()):
            raise SystemExit(f"{directory} exists and is not a demo folder; choose --dir")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("created by govern demo; removed on the next run\n")


# Where `govern serve` (127.0.0.1:8000 by default) serves the pages' sign-in.
PAGES_URL = "http://127.0.0.1:8000/ui/login"


def run(directory: Path, console: Console) -> int:
    prepare_directory(directory)
    settings = Settings(data_dir=directory, database_url="")
    app = create_app(settings)
    keys = {}
    roles = {}
    services = app.state.services
    with unit_of_work(services.engine) as session:
        for role, name in [
            ("rights_holder", "alice"),
            ("rights_holder", "bob"),
            ("auditor", "audit office"),
            ("regulator", "regulator"),
            ("admin", "admin"),
            ("operator", "operator"),
            ("conservator", "conservator"),
        ]:
            keys[name] = create_key(session, services.audit, role, name)[1]
            roles[name] = role
    client = TestClient(app)
    steps: list[tuple[str, str, str]] = []

    def call(label: str, method: str, url: str, key: str, **kw: Any) -> Any:
        response = client.request(
            method, url, headers={"Authorization": f"Bearer {keys[key]}"}, **kw
        )
        body = response.json()
        outcome = "ok"
        if isinstance(body, dict):
            outcome = body.get("error") or body.get("status") or body.get("verdict") or "ok"
        steps.append((label, f"{method} {url} -> {response.status_code}", outcome))
        return response.status_code, body

    def fetch(url: str, key: str) -> bytes:
        return client.get(url, headers={"Authorization": f"Bearer {keys[key]}"}).content

    before = demo_models.before_works(call)
    work_ids = {}
    for spec in DEMO_WORKS:
        meta = {k: spec[k] for k in ("title", "creator", "license", "terms")}
        status, body = call(
            f"{spec['holder']} registers '{spec['title']}'",
            "POST",
            "/v1/works",
            spec["holder"],
            files={
                "file": (f"{spec['image']}.png", encode(photograph(spec["image"])), "image/png")
            },
            data={"metadata": json.dumps(meta)},
        )
        if status != 201:
            console.print(f"[red]registration failed: {body}[/red]")
            return 1
        work_ids[spec["image"]] = body["id"]

    copy = Image.fromarray(photograph("astronaut")).resize((256, 256))
    status, body = call(
        "a regulator checks a half-size JPEG copy of the astronaut",
        "POST",
        "/v1/works/match",
        "regulator",
        files={"file": ("copy.jpg", encode(np.asarray(copy), "JPEG", quality=60), "image/jpeg")},
    )
    match = body["matches"][0] if body.get("matches") else None
    status, unrelated = call(
        "... and an unrelated photograph (the moon)",
        "POST",
        "/v1/works/match",
        "regulator",
        files={"file": ("moon.png", encode(photograph("moon")), "image/png")},
    )
    truncated = encode(photograph("camera"))[:5000]
    call(
        "alice uploads a truncated PNG (refused)",
        "POST",
        "/v1/works",
        "alice",
        files={"file": ("broken.png", truncated, "image/png")},
        data={"metadata": json.dumps({"title": "Broken", "creator": "x", "license": "MIT"})},
    )
    call(
        "bob registers the astronaut again (refused)",
        "POST",
        "/v1/works",
        "bob",
        files={"file": ("a.png", encode(photograph("astronaut")), "image/png")},
        data={"metadata": json.dumps({"title": "Mine", "creator": "bob", "license": "MIT"})},
    )
    call(
        "bob tries to change alice's terms (refused)",
        "PUT",
        f"/v1/works/{work_ids['astronaut']}/terms",
        "bob",
        json={"terms": {}},
    )
    call(
        "alice forbids all AI training of the coffee cup",
        "PUT",
        f"/v1/works/{work_ids['coffee']}/terms",
        "alice",
        json={
            "terms": {
                "ai_training": "notAllowed",
                "data_mining": "allowed",
                "ai_inference": "notAllowed",
            }
        },
    )
    status, history = call(
        "the auditor reads the coffee cup's terms history",
        "GET",
        f"/v1/works/{work_ids['coffee']}/terms/history",
        "audit office",
    )

    photographs = {name: photograph(name) for name in ("astronaut", "coffee")}
    shas = {"astronaut": hashlib.sha256(encode(photographs["astronaut"])).hexdigest()}
    governed = demo_models.after_works(call, before["ids"], photographs, shas, directory, fetch)
    released = before["released"]
    if released.get("output_url"):
        (directory / "outputs" / "generation-released.png").write_bytes(
            fetch(released["output_url"], "operator")
        )

    screened = {
        "dispute": demo_screening.dispute(call, work_ids),
        "altered": demo_screening.altered_copy(call, directory),
        "generation": demo_screening.copied_generation(call),
        "restoration": demo_screening.careless_restoration(call),
    }

    reports = demo_labels.verify_outputs(call, directory / "outputs")
    page = demo_labels.folder_report(services, directory / "outputs", console)
    # After the regulator has seen the pending restoration withheld: now it is reviewed.
    reviewed = demo_reviews.review_round(
        call,
        fetch,
        services,
        directory,
        before["ids"]["builtin-restoration"],
        governed["pending"],
        demo_models.damaged(photograph("camera"), seed=11),
        client.get("/v1/audit/key").json()["verifier_key"],
    )
    steps.append(
        (
            "the auditor checks the rejected call's evidence bundle offline, key pinned",
            "govern audit verify",
            "ok" if isinstance(reviewed["bundle_checks"], list) else "FAILED",
        )
    )
    audit = audit_round_trip(client, keys["audit office"], directory, steps)

    table = Table("step", "request", "outcome", title="govern demo")
    for row in steps:
        table.add_row(*row)
    console.print(table)
    console.print(
        f"Registered {len(work_ids)} works. The half-size JPEG copy matched work "
        f"{match['work_id'] if match else 'none'} at distance {match['distance'] if match else '-'}"
        f"; the unrelated photograph matched {len(unrelated['matches'])} works. "
        f"The coffee cup has {len(history['versions'])} terms versions."
    )
    console.print(
        f"The audit log holds {audit['size']} entries; its bundle verified offline "
        f"({audit['checks']} checks) and a copy with one altered byte was refused: "
        f"{audit['tampered']}"
    )
    console.print(
        f"Data: {directory.resolve()} (SQLite database govern.db, files in blobs/, "
        "audit bundle in audit-bundle/: check it with `govern audit verify DIR --key KEY`, "
        "KEY from GET /v1/audit/key)."
    )
    console.print(demo_models.summary(before, governed))
    console.print(demo_screening.summary(screened))
    console.print(demo_labels.table(reports))
    console.print(demo_reviews.summary(reviewed))
    console.print(
        "AI: the file says it is AI-made; mark: the watermark was read; found by: how the "
        "service's record was found ((!) if the file disagrees with the audit log). "
        "The stripped JPEG lost its manifest and XMP; its watermark led back to the call's "
        f"record. The pending restoration's record is withheld from the regulator until a "
        f"review releases it. Folder report: {page} (`govern verify {directory / 'outputs'}`)."
    )
    console.print(
        f"Serve it: GOVERN_DATA_DIR={directory.resolve()} govern serve (the keys live in that "
        "data dir's database, so these demo keys work there; make your own with "
        f"GOVERN_DATA_DIR={directory.resolve()} govern keys create), then open the web pages "
        f"at {PAGES_URL} and sign in with a key for each role:",
        soft_wrap=True,
    )
    for name, key in keys.items():
        console.print(f"  {name} ({roles[name]}): {key}", soft_wrap=True, highlight=False)
    ok = (
        demo_models.as_expected(before, governed)
        and match is not None
        and match["work_id"] == work_ids["astronaut"]
        and not unrelated["matches"]
        and audit["verified"]
        and demo_labels.as_expected(reports)
        and demo_screening.as_expected(screened, work_ids)
        and demo_reviews.as_expected(reviewed)
    )
    return 0 if ok else 1


def audit_round_trip(
    client: TestClient, key: str, directory: Path, steps: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """Export the audit bundle over HTTP, verify it offline, and show that tampering fails."""
    pinned = client.get("/v1/audit/key").json()["verifier_key"]
    response = client.get("/v1/audit/export", headers={"Authorization": f"Bearer {key}"})
    steps.append(
        (
            "the auditor exports the audit bundle",
            f"GET /v1/audit/export -> {response.status_code}",
            "zip",
        )
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    write_bundle(files, directory / "audit-bundle")
    checks = verify_bundle(files, pinned)
    steps.append(("... and verifies it offline, key pinned", "govern audit verify", "ok"))
    altered = dict(files)
    altered["entries.jsonl"] = files["entries.jsonl"].replace(b"alice", b"alicf", 1)
    try:
        verify_bundle(altered, pinned)
        tampered = "NOT DETECTED"
    except BundleError as exc:
        tampered = str(exc)
    steps.append(("a copy with one altered byte", "govern audit verify", "refused"))
    size = files["entries.jsonl"].count(b"\n")
    return {
        "size": size,
        "checks": len(checks),
        "tampered": tampered,
        "verified": tampered != "NOT DETECTED",
    }
