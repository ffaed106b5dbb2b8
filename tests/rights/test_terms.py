"""The terms vocabulary and how signals combine."""

import pytest

from rights.embedded_terms import terms_from_assertions, terms_from_xmp
from rights.errors import InvalidTermsError
from rights.terms import Signal, TermValue, Use, combine, parse_declared_terms


def test_bare_values_and_objects_parse_alike() -> None:
    bare = parse_declared_terms({"ai_training": "notAllowed"})
    full = parse_declared_terms({"ai_training": {"use": "notAllowed"}})
    assert bare == full == {Use.AI_TRAINING: Signal("declared", TermValue.NOT_ALLOWED)}


@pytest.mark.parametrize(
    "raw",
    [
        {"ai_training": "no"},
        {"painting": "allowed"},
        {"ai_training": 3},
        {"ai_training": {"use": "constrained", "extra": 1}},
        {"ai_training": {"use": "constrained", "constraint_info": 5}},
        {"ai_training": {"use": "allowed", "constraint_info": "text"}},
        {"ai_training": {"use": "constrained", "constraint_info": "x" * 2001}},
        "allowed",
    ],
)
def test_invalid_terms_say_why(raw: object) -> None:
    with pytest.raises(InvalidTermsError) as error:
        parse_declared_terms(raw)
    assert str(error.value)


def test_most_restrictive_wins_and_unknown_says_nothing() -> None:
    declared = {
        Use.AI_TRAINING: Signal("declared", TermValue.ALLOWED),
        Use.DATA_MINING: Signal("declared", TermValue.UNKNOWN),
        Use.AI_INFERENCE: Signal("declared", TermValue.ALLOWED),
    }
    embedded = {
        Use.AI_TRAINING: Signal("c2pa", TermValue.CONSTRAINED, "ask"),
        Use.DATA_MINING: Signal("xmp", TermValue.ALLOWED),
        Use.AI_INFERENCE: Signal("xmp", TermValue.NOT_ALLOWED),
    }
    terms = combine([declared, embedded])
    assert terms["ai_training"]["use"] == "constrained"
    assert terms["ai_training"]["constraint_info"] == "ask"
    assert terms["data_mining"]["use"] == "allowed"
    assert terms["ai_inference"]["use"] == "notAllowed"
    assert terms["restoration"] == {"use": "unknown", "sources": []}
    assert [s["source"] for s in terms["ai_training"]["sources"]] == ["declared", "c2pa"]


def test_constraint_texts_of_several_sources_are_kept() -> None:
    terms = combine(
        [
            {Use.AI_TRAINING: Signal("a", TermValue.CONSTRAINED, "one")},
            {Use.AI_TRAINING: Signal("b", TermValue.CONSTRAINED, "two")},
        ]
    )
    assert terms["ai_training"]["constraint_info"] == "one\ntwo"


def test_older_c2pa_label_and_versioned_labels_are_read() -> None:
    signals = terms_from_assertions(
        [
            {
                "label": "c2pa.training-mining",
                "data": {
                    "entries": {
                        "c2pa.ai_training": {"use": "notAllowed"},
                        "c2pa.data_mining": {"use": "allowed"},
                    }
                },
            },
            {
                "label": "cawg.training-mining.v2",
                "data": {
                    "entries": {
                        "cawg.ai_inference": {"use": "allowed"},
                        "cawg.ai_training": {"use": "allowed"},
                    }
                },
            },
            {"label": "c2pa.actions", "data": {}},
        ],
        "Valid",
    )
    assert signals[Use.AI_TRAINING].value is TermValue.NOT_ALLOWED  # stricter of the two
    assert signals[Use.DATA_MINING].value is TermValue.ALLOWED
    assert signals[Use.RESTORATION].value is TermValue.ALLOWED
    assert signals[Use.RESTORATION].detail["via"] == "ai_inference"


def test_unreadable_manifest_values_count_as_reservations() -> None:
    signals = terms_from_assertions(
        [
            {
                "label": "cawg.training-mining",
                "data": {"entries": {"cawg.ai_training": {"use": "sortof"}}},
            }
        ],
        "Valid",
    )
    assert signals[Use.AI_TRAINING].value is TermValue.CONSTRAINED


def _xmp(body: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" {body}'
        "</rdf:RDF></x:xmpmeta>"
    )


V = "http://ns.useplus.org/ldf/vocab/"


@pytest.mark.parametrize(
    ("xmp", "expected"),
    [
        (
            _xmp(f'plus:DataMining="{V}DMI-PROHIBITED"/>'),
            {
                Use.DATA_MINING: "notAllowed",
                Use.AI_TRAINING: "notAllowed",
                Use.AI_GENERATIVE_TRAINING: "notAllowed",
            },
        ),
        (
            _xmp(
                f"><plus:DataMining>{V}DMI-PROHIBITED-GENAIMLTRAINING</plus:DataMining>"
                "</rdf:Description>"
            ),
            {Use.AI_GENERATIVE_TRAINING: "notAllowed"},
        ),
        (
            _xmp(
                f"><plus:DataMining><rdf:Bag><rdf:li>{V}DMI-ALLOWED</rdf:li></rdf:Bag>"
                "</plus:DataMining></rdf:Description>"
            ),
            {
                Use.DATA_MINING: "allowed",
                Use.AI_TRAINING: "allowed",
                Use.AI_GENERATIVE_TRAINING: "allowed",
            },
        ),
        (_xmp(f'plus:DataMining="{V}DMI-UNSPECIFIED"/>'), {}),
        ("<not-xml", {}),
        (None, {}),
    ],
)
def test_iptc_plus_data_mining(xmp: str | None, expected: dict) -> None:
    signals = terms_from_xmp(xmp)
    assert {u: s.value.value for u, s in signals.items()} == expected


def test_plus_constraint_text_is_kept() -> None:
    signals = terms_from_xmp(
        _xmp(
            f'plus:DataMining="{V}DMI-PROHIBITED-SEECONSTRAINT"><plus:OtherConstraints>'
            "<rdf:Alt><rdf:li>Licence from the archive</rdf:li></rdf:Alt></plus:OtherConstraints>"
            "</rdf:Description>"
        )
    )
    assert signals[Use.AI_TRAINING].value is TermValue.CONSTRAINED
    assert signals[Use.AI_TRAINING].constraint_info == "Licence from the archive"


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + _xmp('plus:DataMining="&b;"/>')
    )
    assert terms_from_xmp(bomb) == {}
