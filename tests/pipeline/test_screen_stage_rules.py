"""The screen stage's rules on a hand-built call (tests/support/stages.py), the matcher's
answer given: a copy refuses, a resemblance flags, a disputed or permitting work does
neither, a restoration's matches are only recorded; detector scores never decide."""

from typing import Any

import numpy as np
import pytest
from sqlalchemy import update
from sqlmodel import Session

from governance.detectors.schemas import SyntheticOut, SyntheticVerdict
from governance.pipeline.stage import Outcome
from governance.pipeline.stages import screen as screen_stage
from governance.pipeline.stages.screen import ScreenOutput
from governance.works.nearcopy_schemas import MatchBand, MatchMethod, NearCopyOut
from rights.models import Work
from tests.support.call_helpers import _model
from tests.support.helpers import photo, png_bytes, register
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service
from tests.support.stages import harness, output_of


def _match(work_id: int, band: MatchBand, inliers: int = 40) -> NearCopyOut:
    return NearCopyOut(
        work_id=work_id,
        score=inliers / (inliers + 12),
        method=MatchMethod.LOCAL_FEATURES,
        band=band,
        inliers=inliers,
        transform=None,
        altered=None,
        altered_fraction=None,
        altered_regions=[],
    )


def _found(monkeypatch: pytest.MonkeyPatch, *matches: NearCopyOut) -> None:
    def find(*_: Any, **__: Any) -> list[NearCopyOut]:
        return list(matches)

    monkeypatch.setattr(screen_stage, "find_near_copies", find)


def _work(service: Service, key: str, name: str, **terms: str) -> int:
    response = register(service.client, service.keys[key], png_bytes(name), terms=terms)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _pixels() -> np.ndarray:
    return np.asarray(photo("chelsea").convert("RGB").resize((96, 64)), dtype=np.uint8)


def _screen_generation(service: Service) -> Any:
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    with harness(service) as h:
        return ScreenOutput().run(h.generation(model, "a cat"), output_of(_pixels()))


def test_a_resemblance_in_the_review_band_is_flagged_for_a_person(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _work(service, "alice", "astronaut", ai_generative_training="notAllowed")
    _found(monkeypatch, _match(work, MatchBand.REVIEW, inliers=9))
    result = _screen_generation(service)
    assert result.outcome is Outcome.FLAGGED
    assert [r.code for r in result.reasons] == ["resembles_work"]
    (screened,) = result.to_json()["evidence"]["near_copies"]
    assert screened["decision"] == "flagged" and screened["band"] == "review"


def test_a_copy_refuses_even_beside_a_resemblance(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied = _work(service, "alice", "astronaut", ai_generative_training="notAllowed")
    resembled = _work(service, "bob", "coffee", ai_training="notAllowed")
    _found(monkeypatch, _match(copied, MatchBand.MATCH), _match(resembled, MatchBand.REVIEW, 9))
    result = _screen_generation(service)
    assert result.outcome is Outcome.REFUSED
    assert [r.code for r in result.reasons] == ["output_copies_work", "resembles_work"]


def test_a_disputed_work_binds_no_one_and_an_allowing_one_permits(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    disputed = _work(service, "alice", "astronaut", ai_generative_training="notAllowed")
    allowing = _work(service, "bob", "coffee", ai_generative_training="allowed")
    with Session(service.app.state.services.engine) as session:
        session.execute(update(Work).where(Work.id == disputed).values(status="disputed"))  # type: ignore[arg-type]
        session.commit()
    _found(monkeypatch, _match(disputed, MatchBand.MATCH), _match(allowing, MatchBand.MATCH))
    result = _screen_generation(service)
    assert result.outcome is Outcome.PASSED and result.reasons == []
    decisions = {c["work_id"]: c["decision"] for c in result.to_json()["evidence"]["near_copies"]}
    assert decisions == {disputed: "not_binding", allowing: "allowed"}


def test_a_restorations_matches_are_recorded_not_judged(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _work(service, "alice", "astronaut", ai_generative_training="notAllowed")
    _found(monkeypatch, _match(work, MatchBand.MATCH))
    model = _model(service)
    pixels = _pixels()
    mask = np.zeros(pixels.shape[:2], dtype=bool)
    mask[10:20, 10:20] = True
    with harness(service) as h:
        result = ScreenOutput().run(h.restoration(model, pixels, mask), output_of(pixels))
    assert result.outcome is Outcome.PASSED
    evidence = result.to_json()["evidence"]
    assert evidence["near_copies"][0]["decision"] == "recorded"
    assert evidence["outside_mask"]["changed_pixels"] == 0


def test_a_detector_that_calls_it_synthetic_decides_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _found(monkeypatch)
    flagged = SyntheticOut(score=0.99, verdict=SyntheticVerdict.LIKELY_SYNTHETIC, detectors=[])
    monkeypatch.setattr(screen_stage, "assess_synthetic", lambda *_: flagged)
    result = _screen_generation(service)
    assert result.outcome is Outcome.PASSED
    assert result.to_json()["evidence"]["synthetic"]["verdict"] == "likely_synthetic"
