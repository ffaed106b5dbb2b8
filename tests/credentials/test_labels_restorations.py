"""Labels on restorations (parents, carried terms, small outputs, privacy) and label settings."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from labeling.c2pa_read import inspect
from labeling.watermark import WATERMARK_ALG
from tests.support.helpers import auth, encode, np_image
from tests.support.label_helpers import (
    generated,
    generator,
    output_of,
    pixels,
    verify,
    with_manifest_corrupted,
)
from tests.support.service_fixture import Service, make_service


def _labelled(service: Service) -> tuple[dict, bytes]:
    call = generated(service, generator(service))
    return call, output_of(service, call)


def test_a_restoration_names_its_parent_and_carries_the_works_terms(
    database_url: str, tmp_path: Path
) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore
    from tests.support.helpers import png_bytes, register

    service = make_service(database_url, tmp_path / "data")
    try:
        registered = register(
            service.client,
            service.keys["alice"],
            png_bytes("astronaut"),
            terms={"ai_training": "notAllowed", "restoration": "allowed"},
        )
        assert registered.status_code == 201, registered.text
        _conservator(service)
        model = _model(service)
        image = png_bytes("astronaut")
        width, height = 512, 512
        response = restore(service, image, _mask(width, height), model)
        call = response.json()
        assert call["status"] == "pending_review", call
        data = service.client.get(
            call["output_url"], headers=auth(service.keys["conservator"])
        ).content
        root = service.client.get("/v1/labels/ca.pem").text
        report = inspect(data, "image/png", root)
        assert report is not None and report.state == "Trusted"
        assert "c2pa.opened" in report.actions and "c2pa.edited" in report.actions
        assert [i["relationship"] for i in report.ingredients] == ["parentOf"]
        assert report.training_mining["ai_training"] == "notAllowed"
        assert report.training_mining["ai_inference"] == "allowed"
        # The watermark moves pixels by a few levels at most: the restoration stays true.
        source = pixels(image).astype(int)
        outside = np.ones((height, width), bool)
        outside[10:20, 10:30] = False
        change = np.abs(pixels(data).astype(int)[outside] - source[outside])
        assert change.mean() < 3 and np.percentile(change, 99) <= 8
        # The input only looks like the output: found by fingerprint, and not called AI;
        # to the conservator, who may be served the pending output. To the regulator the
        # service has no record of it that it may show.
        looked_up = service.client.post(
            "/v1/verify",
            headers=auth(service.keys["conservator"]),
            files={"file": ("in.png", image, "application/octet-stream")},
        ).json()
        assert looked_up["record"]["found_by"] == "fingerprint"
        assert looked_up["record"]["recovered_manifest"] is None
        assert looked_up["ai_disclosure"]["ai_made"] is False
        assert verify(service, image).json()["record"] is None
    finally:
        service.app.state.services.engine.dispose()


def test_an_output_too_small_for_a_watermark_is_signed_and_says_so(service: Service) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore

    _conservator(service)
    small = encode(np_image(3, 48))
    call = restore(service, small, _mask(48, 48), _model(service)).json()
    assert call["status"] == "pending_review", call
    label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
    assert [b["alg"] for b in label["soft_bindings"]] != [] and all(
        b["alg"] != WATERMARK_ALG for b in label["soft_bindings"]
    )
    data = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    report = verify(service, data.content).json()
    assert report["c2pa"]["state"] == "Trusted"
    assert report["watermark"] == {"found": False}
    eu = {c["name"]: c["passed"] for c in report["conformance"]["eu_ai_act_art50"]["checks"]}
    assert eu == {"machine_readable_marking": True, "detectable_watermark": False}


def test_a_parent_keeps_its_manifest_or_is_labelled_without_a_damaged_one(
    service: Service,
) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore

    _conservator(service)
    _, data = _labelled(service)
    restorer = _model(service)
    root = service.client.get("/v1/labels/ca.pem").text
    for parent, has_manifest in ((data, True), (with_manifest_corrupted(data), False)):
        call = restore(service, parent, _mask(256, 256), restorer).json()
        assert call["status"] == "pending_review", call
        label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
        assert bool(label["notes"]) is not has_manifest
        output = service.client.get(
            call["output_url"], headers=auth(service.keys["conservator"])
        ).content
        report = inspect(output, "image/png", root)
        assert report is not None and report.state == "Trusted"
        assert [i["has_manifest"] for i in report.ingredients] == [has_manifest]
        # The parent is the service's own output: judged with its anchors, it is trusted.
        assert "signingCredential.untrusted" not in report.ingredients[0]["failures"]


def test_an_unreleased_outputs_manifest_is_as_private_as_the_output(service: Service) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore

    _conservator(service)
    call = restore(service, encode(np_image(5, 128)), _mask(128, 128), _model(service)).json()
    assert call["status"] == "pending_review"
    manifest_id = next(s for s in call["stages"] if s["name"] == "label")["evidence"]["manifest_id"]
    url = f"/v1/manifests/{manifest_id}"
    refused = service.client.get(url, headers=auth(service.keys["regulator"]))
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    allowed = service.client.get(url, headers=auth(service.keys["conservator"]))
    assert allowed.status_code == 200


def test_a_label_text_the_fonts_cannot_draw_stops_the_service_at_start(tmp_path: Path) -> None:
    import pytest

    from governance.errors import InvalidInput
    from governance.services import build_services
    from governance.settings import Settings

    with pytest.raises(InvalidInput, match="VISIBLE_LABEL_TEXT"):
        build_services(Settings(data_dir=tmp_path, visible_label_text="人工智能生成"))


def test_allowed_is_carried_only_when_every_matched_work_allows(
    database_url: str, tmp_path: Path
) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore
    from tests.support.helpers import png_bytes, register

    service = make_service(database_url, tmp_path / "data")
    try:
        for holder, image, terms in (
            ("alice", png_bytes("astronaut"), {"ai_training": "allowed", "data_mining": "allowed"}),
            (
                "bob",
                encode(Image.open(io.BytesIO(png_bytes("astronaut"))).convert("L").convert("RGB")),
                {"data_mining": "allowed"},
            ),
        ):
            response = register(service.client, service.keys[holder], image, terms=terms)
            assert response.status_code == 201, response.text
        # bob's grey copy of alice's work registers as disputed, binding no one; an admin
        # upholds it, so that both works' terms bind.
        assert response.json()["status"] == "disputed"
        upheld = service.client.post(
            f"/v1/works/{response.json()['id']}/dispute",
            headers=auth(service.keys["admin"]),
            json={"resolution": "upheld", "comment": "bob holds the grey print's rights"},
        )
        assert upheld.status_code == 200, upheld.text
        _conservator(service)
        call = restore(service, png_bytes("astronaut"), _mask(512, 512), _model(service)).json()
        label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
        matched = next(s for s in call["stages"] if s["name"] == "input_rights")["evidence"]
        # Both works match (the grey copy is a work of its own); bob said nothing of
        # ai_training, so it is not carried as allowed.
        assert len(matched["matches"]) == 2
        assert label["training_mining"] == {"data_mining": "allowed"}
    finally:
        service.app.state.services.engine.dispose()


def test_matches_hide_unreleased_outputs_from_those_not_served_them(service: Service) -> None:
    from tests.support.call_helpers import _conservator, _mask, _model, restore

    _conservator(service)
    call = restore(service, encode(np_image(6, 128)), _mask(128, 128), _model(service)).json()
    assert call["status"] == "pending_review"
    output = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    for role, expected in (("regulator", 0), ("conservator", 1)):
        found = service.client.post(
            "/v1/matches/byContent",
            headers=auth(service.keys[role]),
            files={"file": ("o.png", output.content)},
        ).json()["matches"]
        assert len(found) == expected, (role, found)
