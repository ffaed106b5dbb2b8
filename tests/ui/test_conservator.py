"""The conservator's pages in a browser: the queue, a call's review (images side by side,
the before/after slider, the report's maps and faithfulness figures in words), a region
drawn on the output, approval and release; a rejection, after which the output is served
to no one, and the API's refusals of a decision shown on the page."""

import re
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.ui.conftest import DESKTOP, LiveService, screenshot, sign_in
from tests.ui.test_operator import (
    SIZE,
    call_id_of,
    damage_mask,
    damaged_photo,
    image_loaded,
    png,
    restore_by_api,
    wait_for_report,
    write_files,
)


def start_with_uploaded_mask(browser: Browser, live: LiveService, folder: Path) -> int:
    """The operator starts a restoration on the page, with a mask file (the keyboard's
    way to give one), in a browser context of their own."""
    image, mask = write_files(folder, seed=2)
    context = browser.new_context(viewport=DESKTOP, base_url=live.url)
    try:
        operator = context.new_page()
        sign_in(operator, live, "operator")
        operator.goto("/ui/calls/new")
        operator.get_by_label("Damaged image", exact=True).set_input_files(image)
        operator.get_by_label("Or upload a mask file").set_input_files(mask)
        operator.get_by_role("button", name="Start the restoration").click()
        operator.wait_for_url(re.compile(r".*/ui/calls/\d+$"))
        assert operator.locator("[data-status]").inner_text() == "pending review"
        return call_id_of(operator)
    finally:
        context.close()


def region_values(page: Page, number: int) -> dict[str, str]:
    row = page.locator("[data-region-row]").nth(number - 1)
    return {
        name: row.locator(f"[name=region_{name}]").input_value()
        for name in ("x", "y", "width", "height", "note")
    }


def test_a_conservator_reviews_a_restoration_and_releases_it(
    page: Page, browser: Browser, live: LiveService, tmp_path: Path
) -> None:
    call_id = start_with_uploaded_mask(browser, live, tmp_path)
    sign_in(page, live, "conservator")
    page.goto("/ui/reviews")
    row = page.locator(f'tr[data-call="{call_id}"]')
    assert row.is_visible()
    assert "None: every restoration is reviewed" in row.inner_text()
    assert "0 of 1" in row.inner_text()
    screenshot(page, "conservator-queue")
    row.get_by_role("link", name=f"Call {call_id}").click()
    page.wait_for_url(f"**/ui/reviews/{call_id}")
    wait_for_report(page)

    for alt in ("The damaged input", "The mask", "The restored output", "Changed-pixel map"):
        image = page.get_by_role("img", name=re.compile("^" + alt)).first
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), alt
    # The slider is an <input type=range>: the keyboard moves the cut.
    before = page.locator("[data-compare-before]")
    assert "inset(0px 50% 0px 0px)" in before.evaluate("e => getComputedStyle(e).clipPath")
    slider = page.get_by_label("Share of the damaged input (before) shown from the left")
    slider.focus()
    page.keyboard.press("End")
    assert slider.input_value() == "100"
    assert before.evaluate("e => e.style.clipPath") == "inset(0px 0% 0px 0px)"

    text = page.locator("#main").inner_text()
    assert "What “better than random” means" in text
    assert "What “better than distance to the mask” means" in text
    table = page.locator("table.faithfulness")
    labels = table.locator("tbody th").all_inner_texts()
    assert "Saliency of the whole output" in labels
    assert any(
        label.startswith("Integrated Gradients of the learned correction") for label in labels
    )
    # The built-in restorer's maps beat random, and the report says which fail and why.
    assert table.locator("tbody tr").first.locator("td").nth(2).inner_text() == "yes"
    assert "Which methods failed, and on what" in text
    assert "parameter randomisation" in page.locator("ul.failed").inner_text()
    assert image_loaded(page, 'img[src$="/report/files/uncertainty.png"]')
    assert image_loaded(page, 'img[src$="/report/files/saliency_whole_mask.png"]')

    # A region dragged on the output becomes a row in the output's own pixels.
    layer = page.locator("[data-regions-layer]")
    layer.scroll_into_view_if_needed()
    box = layer.bounding_box()
    assert box is not None
    scale = box["width"] / SIZE
    page.mouse.move(box["x"] + 40 * scale, box["y"] + 150 * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + 120 * scale, box["y"] + 190 * scale, steps=8)
    page.mouse.up()
    drawn = region_values(page, 1)
    assert abs(int(drawn["x"]) - 40) <= 1 and abs(int(drawn["y"]) - 150) <= 1
    assert abs(int(drawn["width"]) - 80) <= 2 and abs(int(drawn["height"]) - 40) <= 2
    assert page.locator(".region-box").count() == 1
    page.get_by_label("Note").fill("fill matches the suit's texture")
    page.get_by_label("Approve: release the output").check()
    page.get_by_label("Comment").fill("The fill is faithful to its surroundings.")
    screenshot(page, "conservator-review")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"**/ui/reviews/{call_id}#decision")

    assert page.locator("[data-status]").inner_text() == "released"
    assert "You decided approve" in page.locator("[data-my-decision]").inner_text()
    decisions = page.locator("section[aria-labelledby=decisions-heading]").inner_text()
    assert "The fill is faithful to its surroundings." in decisions
    assert (
        f"region at ({drawn['x']}, {drawn['y']}), {drawn['width']} × {drawn['height']} px: "
        "fill matches the suit's texture"
    ) in decisions
    assert page.get_by_role("button", name="Record the decision").count() == 0
    screenshot(page, "conservator-released")
    # Released: served to any key now, the operator's included.
    api = page.request.get(
        f"/v1/calls/{call_id}/output",
        headers={"Authorization": f"Bearer {live.keys['operator']}"},
    )
    assert api.status == 200
    assert page.request.get(f"/ui/calls/{call_id}/output").status == 200


def test_a_rejected_output_is_served_to_no_one_and_refusals_show_on_the_page(
    page: Page, live: LiveService
) -> None:
    answer = restore_by_api(page, live, png(damaged_photo(1)), png(damage_mask(1)))
    assert answer.status == 201, answer.text()
    call_id = int(answer.json()["id"])
    sign_in(page, live, "conservator")
    page.goto(f"/ui/reviews/{call_id}")
    wait_for_report(page)
    stale = page.context.new_page()
    stale.goto(f"/ui/reviews/{call_id}")

    # A region outside the output: the service's sentence, and the form as it was sent.
    page.get_by_label("x", exact=True).fill("250")
    page.get_by_label("y", exact=True).fill("10")
    page.get_by_label("width", exact=True).fill("20")
    page.get_by_label("height", exact=True).fill("5")
    page.get_by_label("Approve: release the output").check()
    with page.expect_response(f"**/ui/reviews/{call_id}") as posted:
        page.get_by_role("button", name="Record the decision").click()
    assert posted.value.status == 422
    assert "region 0 (250, 10, 20 x 5) is not inside the 256 x 256 output" in (
        page.get_by_role("alert").inner_text()
    )
    assert region_values(page, 1)["x"] == "250"
    assert page.locator("[data-status]").inner_text() == "pending review"

    page.get_by_role("button", name="Remove region 1").click()
    page.get_by_label("Reject: withhold the output for good").check()
    page.get_by_label("Comment").fill("The fill invents a seam.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"**/ui/reviews/{call_id}#decision")
    assert page.locator("[data-status]").inner_text() == "rejected"
    assert "withheld for good" in page.locator("[data-my-decision]").inner_text()

    # Rejected: the output and the report are served to no one, here as by the API.
    api = page.request.get(
        f"/v1/calls/{call_id}/output",
        headers={"Authorization": f"Bearer {live.keys['conservator']}"},
    )
    shown = page.request.get(f"/ui/calls/{call_id}/output")
    assert shown.status == api.status == 404
    assert api.json()["detail"] in shown.text()
    assert page.request.get(f"/ui/calls/{call_id}/report/files/input.png").status == 404
    assert page.get_by_role("img", name=re.compile("^The restored output")).count() == 0

    # The page opened before the decision: its post is refused as the API refuses it.
    stale.get_by_label("Approve: release the output").check()
    with stale.expect_response(f"**/ui/reviews/{call_id}") as posted:
        stale.get_by_role("button", name="Record the decision").click()
    assert posted.value.status == 409
    alert = stale.get_by_role("alert").inner_text()
    assert "CallNotPending" in alert
    assert f"call {call_id} is rejected: only a pending output is decided" in alert
    assert stale.locator("[data-status]").inner_text() == "rejected"
