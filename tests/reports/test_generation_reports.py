"""A generation's report as a job: the works and training items nearest to its output,
with their similarity and terms, served as recorded, to whom the screen answer would."""

import hashlib
import json
from pathlib import Path

from governance.reports import job
from governance.reports.consumer import run_pending
from governance.reports.generation_schema import GenerationReport
from tests.reports.generation_helpers import (
    ALLOWED,
    ASTRONAUT_SEED,
    COFFEE_SEED,
    REFUSED,
    generation,
    generator,
    get,
    work,
)
from tests.reports.helpers import ready_entries, report_row
from tests.support.call_helpers import _conservator
from tests.support.service_fixture import Service, make_service

TITLE = "Portrait of Eileen Collins, unique-title-4417"
PROMPT = '<script>alert("x")</script> an astronaut & a "flag"'
DATASET = "<img src=x onerror=alert(1)> photographs"


def test_a_copy_is_listed_first_with_its_terms_and_served_as_recorded(service: Service) -> None:
    _conservator(service)
    copied = work(service, "alice", "astronaut", TITLE, ALLOWED)
    others = {work(service, "bob", name, f"{name} by bob", REFUSED) for name in ("brick", "camera")}
    model = generator(service, "astronaut", "rocket", dataset=DATASET)
    call_id = generation(service, model, ASTRONAUT_SEED, PROMPT)
    services = service.app.state.services
    assert run_pending(services, timeout=120).ready == [call_id]
    # A second delivery of its message finds the row ready and records nothing.
    assert job.run_report_job(services, call_id) is None

    url = f"/v1/calls/{call_id}/report"
    answer = get(service, url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    row = report_row(service, call_id)
    assert answer.content == services.blobs.get(row.report_sha256)
    [entry] = ready_entries(service, call_id)
    data = json.loads(entry.entry)["data"]
    assert data["report_sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert data["report_schema"] == "generation-report/1"
    assert data["randomisation_sha256"] is None
    [page_file] = data["files"]
    page = get(service, f"{url}.html")
    assert page_file["name"] == "report.html"
    assert page_file["sha256"] == hashlib.sha256(page.content).hexdigest()
    assert page.headers["content-type"].startswith("text/html")

    report = GenerationReport.model_validate_json(answer.content)
    assert report.call_id == call_id and report.model.weights_sha256 == data["weights_sha256"]
    first, *rest = report.works.listed
    assert first.work_id == copied and first.rank == 1
    assert first.band == "match" and first.matching_points >= report.thresholds.match_min_inliers
    assert first.terms.uses["ai_generative_training"].value == "allowed"
    assert first.terms.allows_generative_use and first.binds
    assert first.at_call is not None and first.at_call.decision == "allowed"
    assert first.placement is not None and first.placement.output_fraction > 0.9
    assert "allow generative use" in first.reading
    # The other registered works are unrelated photographs: none is called a copy.
    assert all(w.band == "below" and w.work_id in others for w in rest)
    assert report.basis.max_work_id == max(others | {copied})

    nearest_item = report.training_items.listed[0]
    assert nearest_item.band == "same_picture"
    assert nearest_item.source == "https://example.org/astronaut-small.jpg"
    assert [w.work_id for w in nearest_item.linked_works] == [copied]
    assert nearest_item.linked_works[0].terms.allows_generative_use
    assert report.training_items.listed[1].band == "not_close"
    assert not report.saliency.given and "gradient" in report.saliency.reason

    # The page escapes what the operator typed and embeds nothing to load or run.
    html = page.content.decode()
    assert nearest_item.dataset.name == DATASET
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html and f"work {copied}" in html


def test_who_the_works_are_is_not_in_the_report(service: Service) -> None:
    _conservator(service)
    copied = work(service, "alice", "astronaut", TITLE, ALLOWED)
    call_id = generation(service, generator(service, "rocket"), ASTRONAUT_SEED)
    run_pending(service.app.state.services, timeout=120)
    url = f"/v1/calls/{call_id}/report"
    # Its readers get the work's id and numbers, never its title or holder (the screen
    # answer's rule: operators and conservators may not read other holders' works).
    for key in ("operator", "conservator", "auditor", "admin"):
        for path in (url, f"{url}.html"):
            served = get(service, path, key)
            assert served.status_code == 200, (key, path)
            assert TITLE.encode() not in served.content and b"alice" not in served.content
    report = json.loads(get(service, url).content)
    assert report["works"]["listed"][0]["work_url"] == f"/v1/works/{copied}"
    # The work's holder reads the work, not the call's report: neither does another.
    for key in ("alice", "bob", "regulator"):
        assert get(service, url, key).status_code == 403, key
        assert get(service, f"{url}.html", key).status_code == 403, key
    assert get(service, f"/v1/works/{copied}", "alice").json()["title"] == TITLE
    assert get(service, f"/v1/works/{copied}", "operator").status_code == 403


def test_an_output_like_no_work_lists_no_false_match(service: Service) -> None:
    for name in ("astronaut", "brick", "camera", "chelsea"):
        work(service, "bob", name, f"{name} by bob", REFUSED)
    model = generator(service, "rocket", "clock", "moon")
    call_id = generation(service, model, COFFEE_SEED, "a cup of coffee")
    assert run_pending(service.app.state.services, timeout=120).ready == [call_id]
    report = GenerationReport.model_validate_json(
        get(service, f"/v1/calls/{call_id}/report").content
    )
    # Unrelated photographs: nothing in the screen's bands; what is listed, if any, is
    # said to be below them.
    assert [w.work_id for w in report.works.listed if w.band != "below"] == []
    assert report.works.summary.startswith("No work") is (not report.works.listed)
    assert report.basis.works_registered == 4
    # The training items are still listed, nearest first, and said to be far.
    items = report.training_items.listed
    assert len(items) == 3 and report.training_items.compared == 3
    distances = [i.phash_distance for i in items]
    assert distances == sorted(distances)
    phash_max = report.thresholds.phash_max
    for item in items:
        assert (item.band == "same_picture") is (item.phash_distance <= phash_max)
    assert all(i.band == "not_close" and "not the same picture" in i.reading for i in items)
    assert report.basis.model_items == 3


def test_the_builtin_generator_is_set_beside_its_training_photographs(
    database_url: str, tmp_path: Path
) -> None:
    builtin = make_service(database_url, tmp_path / "data", register_builtin_models=True)
    try:
        models = get(builtin, "/v1/models", "operator").json()["items"]
        [model] = [m for m in models if m["name"] == "builtin-generation"]
        call_id = generation(builtin, model["id"], seed=1, prompt="a brick wall")
        assert run_pending(builtin.app.state.services, timeout=300).ready == [call_id]
        served = get(builtin, f"/v1/calls/{call_id}/report").content
        report = GenerationReport.model_validate_json(served)
    finally:
        builtin.app.state.services.engine.dispose()
    items = report.training_items
    assert report.basis.model_items == items.compared == 12  # its scikit-image photographs
    assert [i.rank for i in items.listed] == [1, 2, 3, 4, 5]
    assert all(i.source and i.source.startswith("skimage.data.") for i in items.listed)
    # It paints in the manner of a photograph, and copies none: every one lies beyond
    # the service's bar, and is said to.
    assert all(i.band == "not_close" for i in items.listed)
    assert report.model.name == "builtin-generation" and report.works.listed == []
