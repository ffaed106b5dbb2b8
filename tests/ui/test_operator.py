"""The operator's pages in a browser: a restoration started with a mask painted on the
image, its call page (stages in words, status, report, images as the role is served
them), the API's refusals on the form, a generation, and the page a wrong role gets."""

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import APIResponse, Page
from skimage import data, transform

from tests.ui.conftest import LiveService, screenshot, sign_in

SIZE = 256
# The damage: a dark scratch across the astronaut's chest, rows and columns of the image.
ROWS = (150, 166)
COLUMNS = (60, 190)
STAGES = ["authenticate", "clearance", "input_rights", "model", "screen", "label", "store_output"]
REPORT_SECONDS = 120


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def damaged_photo(seed: int = 0) -> np.ndarray:
    """skimage's astronaut at 256 px with a scratch blacked out (a seed moves it down)."""
    photo = transform.resize(data.astronaut(), (SIZE, SIZE), anti_aliasing=True)
    pixels = (np.asarray(photo) * 255).round().astype(np.uint8)
    top, bottom = ROWS[0] + 4 * seed, ROWS[1] + 4 * seed
    pixels[top:bottom, COLUMNS[0] : COLUMNS[1]] = 8
    return pixels


def damage_mask(seed: int = 0) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    mask[ROWS[0] + 4 * seed - 2 : ROWS[1] + 4 * seed + 2, COLUMNS[0] - 2 : COLUMNS[1] + 2] = 255
    return mask


def write_files(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    image, mask = folder / f"damaged-{seed}.png", folder / f"mask-{seed}.png"
    image.write_bytes(png(damaged_photo(seed)))
    mask.write_bytes(png(damage_mask(seed)))
    return image, mask


def restore_by_api(page: Page, live: LiveService, image: bytes, mask: bytes) -> APIResponse:
    """POST /v1/restorations with the operator's key, as a script would."""
    return page.request.post(
        "/v1/restorations",
        headers={"Authorization": f"Bearer {live.keys['operator']}"},
        multipart={
            "file": {"name": "damaged.png", "mimeType": "image/png", "buffer": image},
            "mask": {"name": "mask.png", "mimeType": "image/png", "buffer": mask},
            "metadata": json.dumps({"model": "builtin-restoration"}),
        },
    )


def call_id_of(page: Page) -> int:
    found = re.search(r"/ui/calls/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def wait_for_report(page: Page, state: str = "ready") -> None:
    """Reload the page until its report shows `state` (the consumer builds it)."""
    deadline = time.monotonic() + REPORT_SECONDS
    while True:
        shown = page.locator("[data-report-state]").first.get_attribute("data-report-state")
        if shown == state:
            return
        assert shown in ("queued", "running"), shown
        assert time.monotonic() < deadline, f"the report is still {shown}"
        page.wait_for_timeout(1000)
        page.reload()


def image_loaded(page: Page, selector: str) -> bool:
    loaded: Any = page.locator(selector).evaluate("img => img.complete && img.naturalWidth > 0")
    return bool(loaded)


def paint_damage(page: Page) -> None:
    """Drag the brush along the scratch, in the canvas's displayed pixels."""
    canvas = page.locator("[data-painter-canvas]")
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    page.get_by_label("Brush size (pixels of the image)").fill("24")
    box = canvas.bounding_box()
    assert box is not None
    scale = box["width"] / SIZE
    y = box["y"] + (ROWS[0] + ROWS[1]) / 2 * scale
    page.mouse.move(box["x"] + (COLUMNS[0] + 6) * scale, y)
    page.mouse.down()
    page.mouse.move(box["x"] + (COLUMNS[1] - 6) * scale, y, steps=12)
    page.mouse.up()


def test_operator_paints_a_mask_starts_a_restoration_and_follows_it(
    page: Page, live: LiveService, tmp_path: Path
) -> None:
    image, _ = write_files(tmp_path)
    sign_in(page, live, "operator")
    page.goto("/ui/calls/new")
    assert page.get_by_role("heading", name="Restore a damaged image").is_visible()
    page.get_by_label("Damaged image", exact=True).set_input_files(image)
    paint_damage(page)
    status = page.locator("[data-painter-status]")
    status.filter(has_text="pixels marked as damaged").wait_for()
    marked = int(status.inner_text().split()[0])
    assert 0 < marked < SIZE * SIZE // 4
    screenshot(page, "operator-new-call")
    page.get_by_role("button", name="Start the restoration").click()
    page.wait_for_url(re.compile(r".*/ui/calls/\d+$"))
    call_id = call_id_of(page)

    assert page.locator("[data-status]").inner_text() == "pending review"
    assert (
        page.locator("[data-stage]").evaluate_all("items => items.map(i => i.dataset.stage)")
        == STAGES
    )
    stages = {name: page.locator(f'[data-stage="{name}"]').inner_text() for name in STAGES}
    assert "Who asked (authenticate): passed" in stages["authenticate"]
    assert "acting as operator" in stages["authenticate"]
    assert "says cleared" in stages["clearance"]
    assert "The input is not a near copy of any registered work." in stages["input_rights"]
    assert "builtin-restoration version 1" in stages["model"]
    assert "No pixel changed by more than 2 grey levels" in stages["screen"]
    assert "signed with a C2PA manifest" in stages["label"]
    assert f"{marked} pixels marked damaged" in page.locator(".facts").inner_text()

    wait_for_report(page)
    screenshot(page, "operator-call")
    # The input, mask and changed-pixel map come from the report, served to operators;
    # the pending output is not, as GET /v1/calls/{id}/output answers.
    for name in ("input.png", "mask.png", "changed.png"):
        assert image_loaded(page, f'img[src$="/report/files/{name}"]'), name
    assert page.locator(f'img[src="/ui/calls/{call_id}/output"]').count() == 0
    assert "is not served to the role operator" in page.locator("#main").inner_text()
    report = page.request.get(f"/ui/calls/{call_id}/report")
    assert report.status == 200
    assert f"Restoration report: call {call_id}" in report.text()
    # The report page is served as the API serves it: it may run and fetch nothing.
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert page.get_by_role("link", name="Open the full report").get_attribute("href") == (
        f"/ui/calls/{call_id}/report"
    )
    refused = page.request.get(f"/ui/calls/{call_id}/output")
    assert refused.status == 403
    assert "is not released to operator" in refused.text()

    # The painting became the call's mask: the scratch, and little else.
    mask_file = page.request.get(f"/ui/calls/{call_id}/report/files/mask.png")
    painted = np.asarray(Image.open(io.BytesIO(mask_file.body()))) > 127
    # The brush is 24 px wide with round ends: 12 px around the stroke's line.
    inside = painted[ROWS[0] - 12 : ROWS[1] + 12, COLUMNS[0] - 14 : COLUMNS[1] + 14]
    assert painted.sum() == marked
    assert inside.sum() == painted.sum()
    assert inside[12:-12, 20:-20].mean() == 1.0


def test_the_form_shows_the_apis_refusals_and_a_generation_is_released(
    page: Page, live: LiveService, tmp_path: Path
) -> None:
    _, mask = write_files(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    api = restore_by_api(page, live, text.read_bytes(), mask.read_bytes())
    sign_in(page, live, "operator")
    page.goto("/ui/calls/new")
    page.get_by_label("Damaged image", exact=True).set_input_files(text)
    page.get_by_label("Or upload a mask file").set_input_files(mask)
    response = None
    with page.expect_response(re.compile(r".*/ui/calls/restorations$")) as posted:
        page.get_by_role("button", name="Start the restoration").click()
    response = posted.value
    assert response.status == api.status == 415
    alert = page.get_by_role("alert").inner_text()
    assert api.json()["detail"] in alert
    assert "NotAnImage" in alert
    screenshot(page, "operator-refused")

    # A generation out of the size range: the form again with the sentence and the prompt.
    page.get_by_label("Prompt").fill("a lighthouse at dusk")
    page.get_by_label("Width (px)").fill("10")
    with page.expect_response(re.compile(r".*/ui/calls/generations$")) as posted:
        page.get_by_role("button", name="Start the generation").click()
    assert posted.value.status == 422
    assert (
        "width must be between 64 and 1024 pixels, not 10" in page.get_by_role("alert").inner_text()
    )
    assert page.get_by_label("Prompt").input_value() == "a lighthouse at dusk"
    page.get_by_label("Width (px)").fill("64")
    page.get_by_label("Height (px)").fill("64")
    page.get_by_role("button", name="Start the generation").click()
    page.wait_for_url(re.compile(r".*/ui/calls/\d+$"))
    call_id = call_id_of(page)
    assert page.locator("[data-status]").inner_text() == "released"
    assert "prompt_check" in page.locator("[data-stage]").evaluate_all(
        "items => items.map(i => i.dataset.stage)"
    )
    assert image_loaded(page, f'img[src="/ui/calls/{call_id}/output"]')

    # The wrong role: the queue is the conservators', and the page says so as the API does.
    refused = page.goto("/ui/reviews")
    assert refused is not None and refused.status == 403
    assert "this needs one of the roles: conservator, auditor, admin; the key is 'operator'" in (
        page.get_by_role("alert").inner_text()
    )
