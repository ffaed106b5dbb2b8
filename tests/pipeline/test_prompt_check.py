"""The prompt check: names matched as names, weighed by their words, and explained."""

from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from governance.db import alembic_config
from governance.pipeline.evidence import PromptCheckEvidence
from governance.pipeline.stage import Outcome
from governance.pipeline.stages.prompt_check import PromptCheck
from tests.support.call_helpers import _model, generate
from tests.support.helpers import encode, np_image, register
from tests.support.model_helpers import GENERATOR, counts
from tests.support.service_fixture import Service
from tests.support.stages import harness

PROTECTED = {"ai_generative_training": "notAllowed"}


def _register(service: Service, seed: int, title: str, creator: str, terms: Any = None) -> int:
    response = register(
        service.client,
        service.keys["alice"],
        encode(np_image(seed)),
        title=title,
        creator=creator,
        terms=terms or PROTECTED,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _painter(service: Service) -> int:
    return _model(service, kind="generation", adapter=GENERATOR, name="painter")


def _check(service: Service, *prompts: str) -> list[Any]:
    model = _painter(service)
    with harness(service) as h:
        return [PromptCheck().run(h.generation(model, prompt)) for prompt in prompts]


def _named(result: Any) -> list[dict[str, Any]]:
    return list(result.to_json()["evidence"]["named_works"])


def test_a_title_and_creator_of_common_words_block_nobody(service: Service) -> None:
    """Issue 11, item 6: "A Photo" by "Of The" must not refuse "a photo of a cat"."""
    work = _register(service, 1, "A Photo", "Of The")
    (result,) = _check(service, "a photo of a cat")
    assert result.outcome is Outcome.PASSED and not result.reasons
    (named,) = _named(result)
    assert named["work_id"] == work and named["named"] == "title" and named["form"] == "title"
    assert named["flagged"] and not named["refuses"]
    assert named["matched"] == "photo"
    assert named["words"] == [{"word": "Photo", "weight": "common"}]
    assert "common" in named["why"]


@pytest.mark.parametrize(
    ("title", "prompt"),
    [
        ("Still Life", "a still life with lemons"),
        ("The Kiss", "a kiss in the rain"),
        ("The Night Watch", "The Night-Watch, but at dawn"),
        ("Portrait of a Man", "portrait of a man with a hat"),
        ("Sky", "blue sky"),
    ],
)
def test_titles_of_common_words_are_flagged_not_refused(
    service: Service, title: str, prompt: str
) -> None:
    _register(service, 2, title, "Anonymous")
    (result,) = _check(service, prompt)
    assert result.outcome is Outcome.PASSED
    flags = [n for n in _named(result) if n["named"] == "title"]
    assert len(flags) == 1 and flags[0]["flagged"] and not flags[0]["refuses"]
    assert {w["weight"] for w in flags[0]["words"]} == {"common"}


@pytest.mark.parametrize(
    ("prompt", "form"),
    [
        ("a girl in the style of Johannes Vermeer", "full_name"),
        ("after Vermeer, Johannes", "surname_given"),
        ("after J. Vermeer", "initials"),
        ("in the style of Vermeer", "surname"),
        ("Johannes\u200bVermeer at dusk", "full_name"),
        ("Joh\u200bannes\u2060Ver\u00admeer", "full_name"),
        ("J\u043ehannes V\u0435rmeer", "full_name"),
        ("ＪＯＨＡＮＮＥＳ ＶＥＲＭＥＥＲ", "full_name"),
    ],
)
def test_the_usual_forms_of_a_name_refuse_however_written(
    service: Service, prompt: str, form: str
) -> None:
    """Issue 11, item 7: separators, confusables and name order do not get round it."""
    work = _register(service, 3, "Een Kamer", "Johannes Vermeer")
    (result,) = _check(service, prompt)
    assert result.outcome is Outcome.REFUSED, _named(result)
    (named,) = _named(result)
    assert named["work_id"] == work and named["named"] == "creator" and named["form"] == form
    assert named["refuses"] and "Vermeer" in named["why"]
    assert named["matched"] in prompt and named["name"] == "Johannes Vermeer"
    (reason,) = result.reasons
    assert reason.code == "prompt_names_protected_work"
    assert form.replace("_", " ") in reason.detail and named["matched"] in reason.detail


@pytest.mark.parametrize(
    "prompt",
    [
        "the girl with the pearl earrings",  # "the" for "a", a plural
        "Girl-with-a-Pearl-Earring",
        "a girl\u200bwith a pe\u200barl earring",
    ],
)
def test_a_distinctive_title_refuses_with_articles_plurals_and_hidden_characters(
    service: Service, prompt: str
) -> None:
    _register(service, 4, "Girl with a Pearl Earring", "Anonymous")
    (result,) = _check(service, prompt)
    assert result.outcome is Outcome.REFUSED
    (named,) = [n for n in _named(result) if n["named"] == "title"]
    assert [w["weight"] for w in named["words"]] == ["common", "common", "distinctive"]


def test_common_names_and_allowed_works_do_not_refuse(service: Service) -> None:
    smith = _register(service, 5, "Harbour at Dusk", "John Smith")
    allowed = _register(
        service, 6, "Guernica Sketch", "Frida Kahlo", {"ai_generative_training": "allowed"}
    )
    portrait, forge, style = _check(
        service, "a portrait of John Smith", "a smith at his forge", "a guernica sketch, kahlo"
    )
    assert portrait.outcome is Outcome.PASSED
    ((named),) = _named(portrait)
    assert named["work_id"] == smith and named["flagged"] and named["form"] == "full_name"
    assert forge.outcome is Outcome.PASSED and _named(forge) == []  # no surname alone
    assert style.outcome is Outcome.PASSED
    assert {n["work_id"] for n in _named(style)} == {allowed}
    assert not any(n["flagged"] or n["refuses"] for n in _named(style))
    assert all(n["why"] == "its terms allow generative use" for n in _named(style))


def test_one_entry_per_name_the_strongest_form(service: Service) -> None:
    _register(service, 7, "Een Kamer", "Johannes Vermeer")
    (result,) = _check(service, "Johannes Vermeer, or just Vermeer")
    (named,) = _named(result)
    assert named["form"] == "full_name" and named["matched"] == "Johannes Vermeer"
    assert result.to_json()["evidence_version"] == PromptCheckEvidence.schema_version == 2


@pytest.mark.parametrize("prompt", ["\u200b", "\u200b\u2060\ufeff", " \u3164 ", "\U000e0020"])
def test_a_prompt_of_invisible_characters_is_blank(service: Service, prompt: str) -> None:
    painter = _painter(service)
    engine = service.app.state.services.engine
    before = counts(engine)
    response = generate(service, painter, prompt=prompt)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidInput" and "blank" in response.json()["detail"]
    assert counts(engine) == before


def test_the_migration_recomputes_stored_name_keys(service: Service, database_url: str) -> None:
    work = _register(service, 8, "The Girl with a Pearl Earring", "Vermeer, Johannes")
    engine = service.app.state.services.engine

    def keys() -> set[tuple[str, str]]:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, key FROM work_names WHERE work_id = :w"), {"w": work}
            )
            return {(kind, key) for kind, key in rows}

    new = keys()
    assert ("creator", "verrneer") in new and ("title", "girlpearlearring") in new
    config = alembic_config(database_url)
    command.downgrade(config, "20261124_1110")
    assert keys() == {("title", "the girl with a pearl earring"), ("creator", "vermeer johannes")}
    command.upgrade(config, "head")
    assert keys() == new
    (result,) = _check(service, "a girl with a pearl earring, after J. Vermeer")
    assert result.outcome is Outcome.REFUSED
