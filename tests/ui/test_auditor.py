"""The auditor's pages in a browser: finding a call by status and model, its audit trail
with every inclusion proof checked by the page's own script (and a tampered one shown as
failed), the checkpoint, the evidence bundle's download, and the wrong role's refusal."""

import base64
import hashlib
import io
import json
import re
import zipfile
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from playwright.sync_api import Page, Route, expect

from tests.ui.conftest import LiveService, screenshot, sign_in

CHECKED = re.compile(r"^proof checked: included in the log of size (\d+) with root (\S+)$")


def _api(live: LiveService, role: str) -> httpx.Client:
    return httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {live.keys[role]}"}, timeout=120
    )


def _generation(live: LiveService) -> dict[str, Any]:
    """A governed call through the API, as an operator makes one."""
    with _api(live, "operator") as api:
        body = {
            "model": "builtin-generation",
            "prompt": "a cup of coffee",
            "seed": 7,
            "width": 64,
            "height": 64,
        }
        response = api.post("/v1/generations", json=body)
    assert response.status_code == 201, response.text
    call: dict[str, Any] = response.json()
    return call


def _entries(live: LiveService, call_id: int) -> list[dict[str, Any]]:
    with _api(live, "auditor") as api:
        listed: list[dict[str, Any]] = api.get(
            "/v1/audit/entries", params={"subject": f"call:{call_id}"}
        ).json()["entries"]
    return listed


def test_an_auditor_finds_a_call_and_the_browser_checks_its_proofs(
    page: Page, live: LiveService
) -> None:
    call = _generation(live)
    call_id, status, model = call["id"], call["status"], call["model"]
    sign_in(page, live, "auditor")
    page.goto("/ui/audit")
    page.get_by_label("Status").select_option(status)
    page.get_by_label("Model").select_option(str(model["id"]))
    page.get_by_role("button", name="Show calls").click()
    page.wait_for_url(re.compile(rf".*/ui/audit\?status={status}&model={model['id']}.*"))
    rows = page.locator("table.audit-calls tbody tr")
    assert rows.count() >= 1
    for row in rows.all():
        text = row.inner_text()
        assert status.replace("_", " ") in text and f"{model['name']} {model['version']}" in text
    # Newest first: the call just made heads the list.
    own = rows.first.get_by_role("link", name=f"Call {call_id}", exact=True)
    assert own.get_attribute("href") == f"/ui/calls/{call_id}"
    # The checkpoint, and the key's fingerprint as anyone can compute it from /v1/audit/key.
    key = httpx.get(f"{live.url}/v1/audit/key").json()
    public = load_pem_public_key(key["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert page.locator("#key-fingerprint").inner_text() == hashlib.sha256(raw).hexdigest()
    assert re.fullmatch(r"\d+ entries", page.locator("#checkpoint-size").inner_text())
    assert len(base64.b64decode(page.locator("#checkpoint-root").inner_text())) == 32
    assert f'govern audit verify bundle.zip --key "{key["verifier_key"]}"' in page.inner_text(
        "main"
    )
    screenshot(page, "auditor-calls")

    page.get_by_role("link", name=f"Audit trail of call {call_id}").click()
    page.wait_for_url(f"**/ui/audit/calls/{call_id}")
    trail = page.locator(f"section.call-audit[data-call-id='{call_id}']")
    expect(trail).to_have_attribute("data-checked", "checked")
    entries = _entries(live, call_id)
    proofs = trail.locator(".call-audit-proof")
    assert proofs.count() == len(entries) >= 2
    sizes = set()
    for i, entry in enumerate(entries):
        shown = trail.locator(".call-audit-entry").nth(i)
        assert shown.get_attribute("data-index") == str(entry["index"])
        assert (
            shown.get_by_role("heading").inner_text() == f"Entry {entry['index']}: {entry['kind']}"
        )
        checked = CHECKED.match(proofs.nth(i).inner_text())
        assert checked is not None, proofs.nth(i).inner_text()
        assert int(checked.group(1)) > entry["index"]
        sizes.add(checked.groups())
    # One checkpoint for all, and its signature checked by the browser with the log's key.
    assert len(sizes) == 1
    signature = trail.locator(".call-audit-signature")
    assert signature.inner_text() == (
        f"signature checked: signed by key {key['verifier_key'].split('+')[1]} (Ed25519)"
    )
    assert trail.get_by_role("status").inner_text() == (
        f"All {len(entries)} entries checked by this browser: each is in the log of size "
        f"{sizes.pop()[0]}."
    )
    screenshot(page, "auditor-call")

    with page.expect_download() as waited:
        page.get_by_role("link", name="Download the evidence bundle").click()
    download = waited.value
    assert download.suggested_filename == f"call-{call_id}-evidence.zip"
    with zipfile.ZipFile(download.path()) as bundle:
        assert {"call.json", "evidence.json", "entries.jsonl", "checkpoint"} <= set(
            bundle.namelist()
        )
        assert json.loads(bundle.read("call.json"))["id"] == call_id
    with page.expect_download() as waited:
        page.get_by_role("link", name=f"Download the log's bundle for call:{call_id}").click()
    with zipfile.ZipFile(io.BytesIO(waited.value.path().read_bytes())) as bundle:
        listed = json.loads(bundle.read("bundle.json"))
        assert listed["indexes"] == [e["index"] for e in entries]


def _flip(text: str) -> str:
    altered = bytearray(base64.b64decode(text))
    altered[0] ^= 1
    return base64.b64encode(bytes(altered)).decode()


def test_a_tampered_proof_or_checkpoint_is_shown_as_failed(page: Page, live: LiveService) -> None:
    call_id = _generation(live)["id"]
    sign_in(page, live, "auditor")
    trail = page.locator(f"section.call-audit[data-call-id='{call_id}']")

    def one_sibling(route: Route) -> None:
        response = route.fetch()
        answer = response.json()
        entries = answer["trail"]["entries"]
        entries[0]["proof"][0] = _flip(entries[0]["proof"][0])
        route.fulfill(response=response, json=answer)

    page.route("**/audit.json", one_sibling)
    page.goto(f"/ui/audit/calls/{call_id}")
    expect(trail).to_have_attribute("data-checked", "failed")
    proofs = trail.locator(".call-audit-proof")
    failed = proofs.first
    expect(failed).to_have_attribute("data-state", "failed")
    assert failed.inner_text().startswith("proof failed: its proof does not lead to root ")
    assert "error" in (failed.get_attribute("class") or "")
    assert CHECKED.match(proofs.nth(1).inner_text())
    total = proofs.count()
    assert trail.get_by_role("status").inner_text() == f"1 of {total} proofs failed."

    def root(route: Route) -> None:
        response = route.fetch()
        answer = response.json()
        note = answer["trail"]["checkpoint"]["note"]
        origin, size, root_hash, rest = note.split("\n", 3)
        answer["trail"]["checkpoint"]["note"] = "\n".join([origin, size, _flip(root_hash), rest])
        route.fulfill(response=response, json=answer)

    page.unroute("**/audit.json")
    page.route("**/audit.json", root)
    page.reload()
    expect(trail).to_have_attribute("data-checked", "failed")
    expect(trail.locator(".call-audit-signature")).to_have_attribute("data-state", "failed")
    # Against a forged root no proof holds either.
    assert all(p.startswith("proof failed") for p in proofs.all_inner_texts())


def test_other_roles_are_refused_as_the_api_refuses_them(page: Page, live: LiveService) -> None:
    call_id = _generation(live)["id"]
    sign_in(page, live, "operator")
    response = page.goto("/ui/audit")
    assert response is not None and response.status == 403
    assert page.get_by_role("alert").inner_text() == (
        "Forbidden: this needs one of the roles: auditor, admin; the key is 'operator'"
    )
    # The evidence is refused with the API's own sentence, and the trail is not shown.
    with _api(live, "operator") as api:
        refused = api.get(f"/v1/calls/{call_id}/evidence").json()["detail"]
    evidence = page.goto(f"/ui/audit/calls/{call_id}/evidence.zip")
    assert evidence is not None and evidence.status == 403
    assert page.get_by_role("alert").inner_text() == f"Forbidden: {refused}"
    answer = page.request.get(f"/ui/calls/{call_id}/audit.json").json()
    assert answer == {
        "trail": None,
        "detail": "the audit trail is read by auditors, regulators and admins",
    }
    screenshot(page, "auditor-refused")


def test_the_log_is_exported_from_the_audit_page(page: Page, live: LiveService) -> None:
    sign_in(page, live, "admin")
    page.goto("/ui/audit")
    page.get_by_label("From entry").fill("1")
    page.get_by_label("To entry (not included)").fill("4")
    with page.expect_download() as waited:
        page.get_by_role("button", name="Download the audit bundle").click()
    with zipfile.ZipFile(waited.value.path()) as bundle:
        listed = json.loads(bundle.read("bundle.json"))
    assert listed["selection"] == {"from": 1, "to": 4} and listed["indexes"] == [1, 2, 3]
    # What the API refuses, the page refuses with the same kind of sentence.
    refused = page.goto("/ui/audit/export.zip?subject=call%201")
    assert refused is not None and refused.status == 422
    assert page.get_by_role("alert").inner_text().startswith("InvalidInput: subject: ")
    refused = page.goto("/ui/audit?status=lost")
    assert refused is not None and refused.status == 422
    assert page.get_by_role("alert").inner_text() == (
        "InvalidInput: status: one of released, pending_review, blocked, failed, rejected, "
        "not 'lost'"
    )
