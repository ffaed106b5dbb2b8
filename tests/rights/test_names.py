"""Names read as a reader reads them: forms, stop words, invisible and confusable letters."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rights.confusables import fold_char, is_blank, is_invisible
from rights.names import (
    COMMON,
    DISTINCTIVE,
    INITIAL,
    name_forms,
    name_key,
    prompt_keys,
    stored_keys,
    word_class,
)

INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u3164"]
INVISIBLES += ["\U000e0020", "\u2062", "\u034f", "\ufe0f", "\u202e"]


def _forms(text: str, named: str = "creator") -> dict[str, str]:
    return {f.form: f.stored for f in name_forms(text, named)}


def _names(prompt: str, text: str, named: str = "creator") -> set[str]:
    """Which forms of the name the prompt offers a key for."""
    keys = prompt_keys(prompt)
    return {f.form for f in name_forms(text, named) if f.stored in keys}


def test_names_of_stop_words_only_have_no_key_and_titles_lose_their_articles() -> None:
    assert name_forms("Of The", "creator") == [] and name_forms("Of The", "title") == []
    assert stored_keys("A Photo", "Of The") == [("title", "photo")]
    assert name_key("The Night Watch") == name_key("a night-watch") == name_key("Nightwatch")
    assert name_key("De Nachtwacht") == name_key("Nachtwacht")
    # "a photo of a cat" holds the title's key, but the title's word is common.
    assert "photo" in prompt_keys("a photo of a cat")
    assert [word_class(w) for w in name_forms("A Photo", "title")[0].key.split()] == [COMMON]


@pytest.mark.parametrize(
    ("title", "classes"),
    [
        ("Still Life", [COMMON, COMMON]),
        ("The Kiss", [COMMON]),
        ("The Night Watch", [COMMON, COMMON]),
        ("Portrait of a Man", [COMMON, COMMON]),
        ("Girl with a Pearl Earring", [COMMON, COMMON, DISTINCTIVE]),
        ("Guernica", [DISTINCTIVE]),
    ],
)
def test_title_words_are_weighed_common_or_distinctive(title: str, classes: list[str]) -> None:
    (form,) = name_forms(title, "title")
    assert [word_class(w) for w in form.key.split()] == classes


def test_a_person_is_stored_under_the_forms_people_write() -> None:
    forms = _forms("Johannes Vermeer")
    assert set(forms) == {"full_name", "surname_given", "initials", "surname"}
    assert _forms("Vermeer, Johannes") == forms  # catalogue order reads the same
    for prompt, form in (
        ("a girl painted by Johannes Vermeer", "full_name"),
        ("in the manner of Vermeer, Johannes", "surname_given"),
        ("after J. Vermeer", "initials"),
        ("after J Vermeer", "initials"),
        ("Vermeer's light", "surname"),
        ("two Vermeers side by side", "surname"),
        ("JOHANNES VERMEER", "full_name"),
    ):
        assert form in _names(prompt, "Johannes Vermeer"), prompt
    steen = _forms("Jan Havicksz. Steen")
    assert {"given_surname", "initials", "surname"} <= set(steen)
    assert "given_surname" in _names("a tavern after Jan Steen", "Jan Havicksz. Steen")
    assert "initials" in _names("J. H. Steen", "Jan Havicksz. Steen")


def test_a_surname_alone_is_a_form_only_when_distinctive() -> None:
    assert "surname" not in _forms("John Smith")  # "smith" is a common word
    assert _names("a smith at his forge", "John Smith") == set()
    assert "surname" in _forms("Frida Kahlo")
    # Particles are not surnames: "van Rijn" is named by "Rijn".
    assert _forms("Rembrandt van Rijn")["surname"] == "rijn"
    assert [word_class(w) for w in ("j", "m", "rn")] == [INITIAL] * 3  # "m" folds to "rn"


@pytest.mark.parametrize("invisible", INVISIBLES)
def test_invisible_characters_separate_words_and_cannot_hide_a_split_one(invisible: str) -> None:
    assert is_invisible(invisible)
    assert "full_name" in _names(f"Johannes{invisible}Vermeer", "Johannes Vermeer")
    assert "full_name" in _names(f"Rem{invisible}brandt van Rijn", "Rembrandt van Rijn")
    # Both at once, and a stop word glued in between: still the title.
    prompt = f"Girl{invisible}with a Pe{invisible}arl Ear{invisible}rings"
    assert "title" in _names(prompt, "Girl with a Pearl Earring", "title")


@given(
    st.lists(st.integers(min_value=0, max_value=16), max_size=6),
    st.sampled_from(INVISIBLES),
)
@settings(max_examples=60, deadline=None)
def test_invisible_characters_anywhere_in_a_name_still_name_it(
    positions: list[int], invisible: str
) -> None:
    text = "Johannes Vermeer"
    for position in sorted(positions, reverse=True):
        text = text[:position] + invisible + text[position:]
    assert "full_name" in _names(f"a portrait by {text} at dusk", "Johannes Vermeer"), text


@pytest.mark.parametrize(
    "prompt",
    [
        "J\u043ehannes Vermeer",  # Cyrillic o
        "Joh\u0430nnes V\u0435rmeer",  # Cyrillic a and e
        "\u0408ohannes Vermeer",  # Cyrillic Je
        "Johannes Verme\u0435r",
        "Ｊｏｈａｎｎｅｓ Ｖｅｒｍｅｅｒ",  # fullwidth
        "\U0001d409ohannes \U0001d415ermeer",  # mathematical bold capitals
        "Johánnes Vérmeer",  # accents
        "Johannes Venneer",  # "rn" and "m" read alike, and "nn" is not "m": not this one
    ],
)
def test_confusable_letters_fold_to_the_name(prompt: str) -> None:
    found = "full_name" in _names(prompt, "Johannes Vermeer")
    assert found == (not prompt.endswith("Venneer"))


def test_confusable_skeletons_agree_with_tr39_examples() -> None:
    assert fold_char("\u043e") == fold_char("o")
    assert fold_char("0") == fold_char("O") == "o"
    assert "".join(map(fold_char, "rn")) == fold_char("m")
    assert fold_char("\u0131") == fold_char("i")  # dotless i


def test_the_prompt_keys_point_at_the_prompt_s_own_text() -> None:
    prompt = "a view, after Vermeer\u200b, Johannes!"
    key = next(f.stored for f in name_forms("Johannes Vermeer", "creator") if f.form != "surname")
    keys = prompt_keys(prompt)
    surname_given = _forms("Johannes Vermeer")["surname_given"]
    assert surname_given in keys and key in _forms("Johannes Vermeer").values()
    found = keys[surname_given]
    assert prompt[found.start : found.end] == "Vermeer\u200b, Johannes"


@pytest.mark.parametrize(
    ("text", "blank"),
    [
        ("", True),
        ("   \n\t", True),
        ("\u200b\u200b\u200b", True),
        ("\u2060 \ufeff \u3164", True),
        ("\U000e0041\U000e0042", True),  # tag characters
        ("\u2800", True),  # braille blank
        ("a\u200b", False),
        ("\u200b猫", False),
        ("\U0010fffd", False),  # private use: shows as some glyph
        ("\U000323b0", False),  # unassigned here, perhaps an emoji of a later Unicode
    ],
)
def test_blank_means_nothing_a_reader_sees(text: str, blank: bool) -> None:
    assert is_blank(text) is blank


def test_a_long_prompt_offers_a_bounded_number_of_keys() -> None:
    prompt = "\u200b".join("ab" for _ in range(160))
    keys = prompt_keys(prompt)
    assert 0 < len(keys) <= 2 * 160 * 32
