"""The regulator's page in a browser: several files verified at once, each in plain words:
an output the service labelled meets the EU Art. 50 and GB 45438-2025 checks, an
unlabelled photograph fails them, and a file that is no picture gets the API's sentence;
the drop zone, the keyboard and the printed report."""

import io
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Locator, Page
from skimage import data

from tests.ui.conftest import LiveService, screenshot, sign_in


def _api(live: LiveService, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.keys[role]}"}
    return httpx.request(method, live.url + path, headers=headers, timeout=120, **kwargs)


def _labelled_output(live: LiveService) -> bytes:
    """A generation's output, labelled by the service (manifest, watermark, XMP and a
    visible label), as its operator asked for it through the API."""
    body = {
        "model": "builtin-generation",
        "prompt": "a cup of coffee",
        "seed": 7,
        "width": 256,
        "height": 256,
        "visible_label": True,
    }
    call = _api(live, "operator", "POST", "/v1/generations", json=body)
    assert call.status_code == 201, call.text
    assert call.json()["status"] == "released", call.json()["reasons"]
    output = _api(live, "auditor", "GET", call.json()["output_url"])
    assert output.status_code == 200
    return output.content


def _photo_png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(data.chelsea()).save(out, format="PNG")
    return out.getvalue()


def _checks(article: Locator, regime: str) -> dict[str, str]:
    """A regime's checks as shown: title -> Passes or Fails."""
    heading = article.get_by_role("heading", name=re.compile(re.escape(regime)))
    items = heading.locator("xpath=following-sibling::ul[1]/li")
    shown = {}
    for item in items.all():
        title = item.locator("strong").inner_text()
        shown[title] = item.locator(".badge").inner_text()
        assert item.locator(".why").inner_text().startswith("Why: ")
    return shown


def test_a_regulator_verifies_a_labelled_output_a_photo_and_a_text_file(
    page: Page, live: LiveService, tmp_path: Path
) -> None:
    labelled, photo, notes = (
        tmp_path / "generated.png",
        tmp_path / "cat-photo.png",
        tmp_path / "notes.txt",
    )
    labelled.write_bytes(_labelled_output(live))
    photo.write_bytes(_photo_png())
    notes.write_text("not a picture")
    refused = _api(
        live,
        "regulator",
        "POST",
        "/v1/verify",
        files={"file": ("notes.txt", notes.read_bytes(), "text/plain")},
    )
    assert refused.status_code == 415

    sign_in(page, live, "regulator")
    page.goto("/ui/verify")
    screenshot(page, "regulator-verify-form")
    page.get_by_label("Files to verify").set_input_files([str(labelled), str(photo), str(notes)])
    page.get_by_role("button", name="Verify the files", exact=True).click()
    page.wait_for_url("**/ui/verify")
    articles = page.locator("article.verdict")
    assert articles.count() == 3
    ours, cat, text = articles.nth(0), articles.nth(1), articles.nth(2)

    assert ours.get_by_role("heading", level=2).inner_text() == "generated.png"
    glance = ours.locator("table.glance").inner_text()
    assert "AI-generated: the embedded manifest says so" in glance
    assert "Trusted" in glance or "Valid" in glance
    assert _checks(ours, "EU AI Act Art. 50(2)") == {
        "Machine-readable marking": "Passes",
        "Detectable watermark": "Passes",
    }
    assert _checks(ours, "GB 45438-2025") == {
        "Implicit label in the metadata": "Passes",
        "Visible label": "Passes",
    }
    assert "EU AI Act Art. 50(2): meets its checks" in ours.inner_text()
    assert "Found: this service's invisible watermark" in ours.inner_text()
    assert "the file is the output itself, and the file agrees with the audit log" in (
        ours.inner_text()
    )

    assert "Nothing in the file says it was made with AI." in cat.inner_text()
    assert "No Content Credentials: nothing in the file says where it came from" in cat.inner_text()
    assert set(_checks(cat, "EU AI Act Art. 50(2)").values()) == {"Fails"}
    assert set(_checks(cat, "GB 45438-2025").values()) == {"Fails"}
    assert "GB 45438-2025: does not meet its checks" in cat.inner_text()

    alert = text.get_by_role("alert").inner_text()
    assert refused.json()["detail"] in alert and "HTTP 415" in alert
    screenshot(page, "regulator-verify")

    # Printed, the report keeps the findings and drops the form.
    page.emulate_media(media="print")
    assert page.locator("#verify-form").is_hidden()
    assert articles.first.is_visible()
    page.emulate_media(media="screen")


def test_files_dropped_on_the_zone_go_into_the_form(page: Page, live: LiveService) -> None:
    sign_in(page, live, "regulator")
    page.goto("/ui/verify")
    dropped = page.evaluate_handle(
        """() => {
            const files = new DataTransfer();
            files.items.add(new File(["a"], "first.png", {type: "image/png"}));
            files.items.add(new File(["b"], "second.jpg", {type: "image/jpeg"}));
            return files;
        }"""
    )
    page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": dropped})
    assert page.locator(".drop-list li").all_inner_texts() == [
        "first.png (1 KB)",
        "second.jpg (1 KB)",
    ]
    assert page.get_by_label("Files to verify").evaluate("input => input.files.length") == 2
    # The keyboard reaches the button from the file input.
    page.get_by_label("Files to verify").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Verify the files"
