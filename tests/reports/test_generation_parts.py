"""A generation report's parts that need no call: its committed JSON Schema, the rules it
restates from the domains (the core may not import them), and its comparison."""

import itertools

from governance.reports.generation_schema import GenerationReport
from governance.reports.generation_verify import compare_generation
from governance.reports.in_force import allows_generative_use, terms_of
from governance.reports.nearest import REVIEW_MIN_INLIERS
from governance.reports.schema_file import SCHEMA_PATH, schema_text
from governance.screening.judge import GENERATIVE_USES, WorkJudged
from governance.works import nearcopy
from rights.terms import TermValue, Use


def test_the_committed_schema_is_the_models() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run python -m governance.reports.schema_file"


def test_the_review_bar_is_the_screens() -> None:
    assert REVIEW_MIN_INLIERS == nearcopy.REVIEW_MIN_INLIERS


def test_generative_use_is_judged_as_the_screen_judges_it() -> None:
    assert {u.value for u in GENERATIVE_USES} == {
        Use.AI_GENERATIVE_TRAINING.value,
        Use.AI_TRAINING.value,
    }
    for generative, training in itertools.product(TermValue, repeat=2):
        effective = {
            Use.AI_GENERATIVE_TRAINING.value: {"use": generative.value},
            Use.AI_TRAINING.value: {"use": training.value},
        }
        judged = WorkJudged(
            title="t",
            creator="c",
            terms_version=1,
            terms={k: v["use"] for k, v in effective.items()},
            status="registered",
        )
        uses = terms_of(dict(effective))
        assert allows_generative_use(uses) is judged.permits_generation, (generative, training)
        # Uses the terms leave silent read as unknown, never as allowed.
        assert uses[Use.DATA_MINING.value].value == TermValue.UNKNOWN.value


TOLERANCE = (0.01, 0.001)


def _report(**changes: object) -> dict[str, object]:
    listed = {"work_id": 7, "matching_points": 40, "score": 0.7692, "status": "registered"}
    listed.update(changes)
    return {"works": {"listed": [listed]}, "training_items": {"listed": []}}


def test_the_comparison_is_exact_on_counts_and_says_a_status_apart() -> None:
    stored = _report()
    same = compare_generation(stored, _report(score=0.7695), TOLERANCE)
    assert same.ok and same.differences == [] and same.changed_since == []
    moved = compare_generation(stored, _report(score=0.8), TOLERANCE)
    assert moved.differences == [
        "works.listed[0].score: 0.7692 stored, 0.8 rebuilt (beyond tolerance)"
    ]
    counted = compare_generation(stored, _report(matching_points=41), TOLERANCE)
    assert counted.differences == ["works.listed[0].matching_points: 40 stored, 41 rebuilt"]
    other = compare_generation(stored, _report(work_id=8), TOLERANCE)
    assert other.differences[0] == "works.listed: work_ids [7] stored, [8] rebuilt"
    disputed = compare_generation(stored, _report(status="disputed"), TOLERANCE)
    assert disputed.ok
    assert disputed.changed_since == ["works.listed[0].status: 'registered' then, 'disputed' now"]


def test_the_schema_names_its_version() -> None:
    schema = GenerationReport.model_json_schema(by_alias=True)
    assert schema["properties"]["schema"]["const"] == "generation-report/1"
