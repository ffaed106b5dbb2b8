"""Which works a model's output may copy: terms for generative use, and disputes."""

import pytest
from sqlmodel import Session

from governance.screening.judge import WorkJudged, judge_works
from tests.support.helpers import png_bytes, register
from tests.support.service_fixture import Service


def _judged(generative: str, training: str = "unknown", status: str = "registered") -> WorkJudged:
    terms = {"ai_generative_training": generative, "ai_training": training}
    return WorkJudged("t", "c", 1, terms, status)


@pytest.mark.parametrize(
    ("generative", "training", "permits"),
    [
        ("allowed", "unknown", True),
        ("allowed", "allowed", True),
        ("allowed", "notAllowed", False),  # refusing all AI training refuses this too
        ("allowed", "constrained", False),
        ("unknown", "allowed", False),  # silence is no permission
        ("notAllowed", "allowed", False),
        ("constrained", "unknown", False),
    ],
)
def test_only_an_allowed_generative_use_permits_a_copy(
    generative: str, training: str, permits: bool
) -> None:
    assert _judged(generative, training).permits_generation is permits


def test_a_disputed_or_rejected_claim_binds_no_one() -> None:
    assert _judged("notAllowed", status="disputed").binds is False
    assert _judged("notAllowed", status="rejected").binds is False
    assert _judged("notAllowed", status="registered").binds is True
    assert _judged("notAllowed", status="upheld").binds is True


def test_works_are_judged_by_their_terms_in_force(service: Service) -> None:
    terms = {"ai_generative_training": "allowed", "ai_training": "notAllowed"}
    first = register(service.client, service.keys["alice"], png_bytes("astronaut"), terms=terms)
    second = register(
        service.client, service.keys["bob"], png_bytes("coffee"), title="Coffee", terms={}
    )
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    ids = {first.json()["id"], second.json()["id"]}
    with Session(service.app.state.services.engine) as session:
        judged = judge_works(session, ids | {999})
    assert set(judged) == ids  # a work that does not exist is left out
    one, two = judged[first.json()["id"]], judged[second.json()["id"]]
    assert one.terms == terms and not one.permits_generation
    assert two.terms == {"ai_generative_training": "unknown", "ai_training": "unknown"}
    assert two.title == "Coffee" and two.terms_version == 1
