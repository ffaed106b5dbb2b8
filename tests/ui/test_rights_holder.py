"""The rights holder's pages in a browser: registering a work through the form, the list
with its terms, changing a term, the sighting of an altered copy drawn over the work, the
API's refusal of a bad upload on the form, and the page a wrong role gets."""

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page
from skimage import data

from tests.support.helpers import encode, photo, png_bytes, register
from tests.support.service_fixture import Service
from tests.ui.conftest import LiveService, screenshot, sign_in

# A photograph no built-in model was trained on (builtin.photos: no licence stated), so
# that its terms leave the built-in models' clearance, which other tests call, as it is.
# Where the altered copy differs from it: x, y, width, height on the 512 px picture.
EDIT = (300, 120, 110, 100)
TITLE = "Stained tissue"


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _altered_copy() -> bytes:
    """The work with a patch of another photograph pasted in, as a JPEG."""
    pixels = data.immunohistochemistry().copy()
    x, y, w, h = EDIT
    pixels[y : y + h, x : x + w] = data.coffee()[100 : 100 + h, 200 : 200 + w]
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _api(live: LiveService, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.keys[role]}"}
    return httpx.request(method, live.url + path, headers=headers, timeout=60, **kwargs)


def _fill_work_form(page: Page, picture: Path, title: str) -> None:
    page.get_by_label("Picture").set_input_files(str(picture))
    page.get_by_label("Title").fill(title)
    page.get_by_label("Creator").fill("Ada Lens")
    page.get_by_label("Licence").fill("CC-BY-4.0")
    page.get_by_label("Text and data mining", exact=True).select_option("allowed")
    page.get_by_label("Generative AI (training and copies in outputs)", exact=True).select_option(
        "notAllowed"
    )


def _terms_of(page: Page, work_id: int) -> dict[str, str]:
    """The terms a work's card shows in the list, use label -> words."""
    card = page.locator(".work-card", has=page.get_by_role("link", name=TITLE, exact=True))
    assert card.count() == 1
    labels = card.locator("dl.terms dt").all_inner_texts()
    values = card.locator("dl.terms dd").all_inner_texts()
    assert card.get_by_role("link", name="Terms history").get_attribute("href") == (
        f"/ui/works/{work_id}#history"
    )
    return dict(zip(labels, values, strict=True))


def test_a_holder_registers_a_work_changes_a_term_and_sees_where_it_was_found(
    page: Page, live: LiveService, tmp_path: Path
) -> None:
    picture = tmp_path / "tissue.png"
    picture.write_bytes(_png(data.immunohistochemistry()))
    sign_in(page, live, "rights_holder")
    page.goto("/ui/works/new")
    screenshot(page, "holder-register")
    _fill_work_form(page, picture, TITLE)
    page.get_by_role("button", name="Register the work").click()
    page.wait_for_url(re.compile(r".*/ui/works/\d+\?registered=1$"))
    found = re.search(r"/ui/works/(\d+)", page.url)
    assert found
    work_id = int(found.group(1))
    assert "The work is registered" in page.get_by_role("status").inner_text()

    page.goto("/ui/works")
    terms = _terms_of(page, work_id)
    assert terms["Generative AI (training and copies in outputs)"] == "Not allowed"
    assert terms["Text and data mining"] == "Allowed"
    assert terms["AI training"] == "Not stated"
    thumbnail = page.get_by_role("img", name=f"Thumbnail of “{TITLE}” by Ada Lens")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "holder-works")

    page.get_by_role("link", name=TITLE, exact=True).click()
    page.get_by_label("AI training", exact=True).select_option("notAllowed")
    page.get_by_role("button", name="Save the terms").click()
    page.wait_for_url(re.compile(rf".*/ui/works/{work_id}\?saved=2#terms$"))
    assert "version 2 is in force" in page.get_by_role("status").inner_text()
    history = page.locator("ol.history > li")
    assert history.count() == 2
    assert "AI training: Not stated → Not allowed" in history.first.inner_text()
    assert "As registered." in history.last.inner_text()
    api_terms = _api(live, "rights_holder", "GET", f"/v1/works/{work_id}").json()["terms"]
    assert api_terms["ai_training"]["use"] == "notAllowed"

    # A regulator screens an altered copy through the API: the holder sees where.
    screened = _api(
        live,
        "regulator",
        "POST",
        "/v1/screen",
        files={"file": ("found.jpg", _altered_copy(), "image/jpeg")},
    )
    assert screened.status_code == 200, screened.text
    assert screened.json()["near_copies"][0]["work_id"] == work_id
    page.goto(f"/ui/works/{work_id}#sightings")
    sighting = page.locator("li.sighting").first
    words = sighting.locator(".sighting-words").inner_text()
    assert "a screened file" in words and "Altered:" in words
    assert "Score" in sighting.locator(".sighting-head").inner_text()
    boxes = sighting.locator("rect.altered")
    assert boxes.count() >= 1
    x, y, w, h = EDIT
    centres = [
        (
            float(b.get_attribute("x") or 0) + float(b.get_attribute("width") or 0) / 2,
            float(b.get_attribute("y") or 0) + float(b.get_attribute("height") or 0) / 2,
        )
        for b in boxes.all()
    ]
    # The largest region drawn sits where the patch was pasted, in the work's pixels.
    assert any(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres), centres
    assert sighting.locator("rect.matched").count() == 1
    assert sighting.get_by_role("img").get_attribute("alt")
    screenshot(page, "holder-work")


def test_a_bad_upload_shows_the_apis_sentence_on_the_form(
    page: Page, live: LiveService, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture at all")
    api = _api(
        live,
        "rights_holder",
        "POST",
        "/v1/works",
        files={"file": ("notes.txt", notes.read_bytes(), "text/plain")},
        data={"metadata": json.dumps({"title": "x", "creator": "y", "license": "CC0-1.0"})},
    )
    assert api.status_code == 415
    sign_in(page, live, "rights_holder")
    page.goto("/ui/works/new")
    _fill_work_form(page, notes, "Notes, wrongly")
    with page.expect_response(lambda r: r.url.endswith("/ui/works")) as answered:
        page.get_by_role("button", name="Register the work").click()
    assert answered.value.status == 415
    alert = page.get_by_role("alert")
    assert api.json()["detail"] in alert.inner_text()
    assert "HTTP 415" in alert.inner_text() and api.json()["error"] in alert.inner_text()
    # What was typed is kept; only the file must be chosen again.
    assert page.get_by_label("Title").input_value() == "Notes, wrongly"
    assert page.get_by_label("Licence").input_value() == "CC-BY-4.0"
    assert page.get_by_label("Text and data mining", exact=True).input_value() == "allowed"
    screenshot(page, "holder-register-refused")


def test_a_regulator_may_not_register_works(page: Page, live: LiveService) -> None:
    api = _api(
        live,
        "regulator",
        "POST",
        "/v1/works",
        files={"file": ("tissue.png", _png(data.immunohistochemistry()), "image/png")},
        data={"metadata": json.dumps({"title": "x", "creator": "y", "license": "CC0-1.0"})},
    )
    assert api.status_code == 403
    sign_in(page, live, "regulator")
    response = page.goto("/ui/works/new")
    assert response is not None and response.status == 403
    alert = page.get_by_role("alert").inner_text()
    assert alert == f"{api.json()['error']}: {api.json()['detail']}"
    screenshot(page, "regulator-works-new-403")


def _page_as(service: Service, key: str, path: str) -> str:
    """`path` as the key's web session sees it (no browser: the templates on each database)."""
    service.client.cookies.clear()
    signed = service.client.post("/ui/login", data={"key": service.keys[key], "next": "/ui/"})
    assert signed.status_code == 200, signed.text
    response = service.client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_a_disputed_work_and_an_auditors_view_of_it(service: Service) -> None:
    first = register(service.client, service.keys["alice"], png_bytes("astronaut"))
    assert first.status_code == 201, first.text
    crop = photo("astronaut").crop((50, 50, 462, 462))
    copied = register(service.client, service.keys["bob"], encode(crop, "JPEG", quality=85))
    assert copied.status_code == 201 and copied.json()["status"] == "disputed", copied.text
    bob_work, alice_work = copied.json()["id"], first.json()["id"]
    bobs_page = _page_as(service, "bob", f"/ui/works/{bob_work}")
    assert "terms bind no one until an admin resolves the dispute" in bobs_page
    assert f"work {alice_work} (holder {first.json()['holder_id']})" in bobs_page
    assert "Not resolved yet: an admin decides." in bobs_page
    assert "Save the terms" in bobs_page  # the holder may still change them
    alices_page = _page_as(service, "alice", f"/ui/works/{alice_work}")
    assert "Later works of other holders were registered as copies of this one" in alices_page
    listing = _page_as(service, "auditor", "/ui/works")
    assert "Registered works" in listing and listing.count('class="work-card"') == 2
    auditors_page = _page_as(service, "auditor", f"/ui/works/{bob_work}")
    assert "Save the terms" not in auditors_page and "Dispute" in auditors_page
    thumbnail = service.client.get(f"/ui/works/{alice_work}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    # Another holder's work, its page and its thumbnail: refused as the API refuses them.
    _page_as(service, "bob", "/ui/")
    for path in (f"/ui/works/{alice_work}", f"/ui/works/{alice_work}/thumbnail"):
        refused = service.client.get(path)
        assert refused.status_code == 403 and "NotWorkOwner" in refused.text
