"""Names as a reader sees them, so that "Vermeer, Johannes" or "J. Vermeer" in a prompt
finds the creator "Johannes Vermeer", and "a photo of a cat" finds no work called "A Photo".

Text is folded per character (rights.confusables: NFKC, casefold, TR39 prototypes,
accents dropped); invisible characters separate words; stop words ("the", "of", "van")
are ignored; plurals are folded to their singular. A name is stored under a few keys, one
per usual form (`name_forms`), and a prompt offers every run of its words as a key.

A stored key is its words run together ("nightwatch"): an invisible character may split
a word ("Rembr\u200bandt") as well as join two ("Johannes\u200bVermeer"), and a key
without word boundaries is found whichever it does, in any mixture, without trying each
reading of each character. Only where a word may end behind one (its plural fold) and a
stop word glued by one are read both ways, a few readings at most. Run together, keys
also find "Nightwatch" for "The Night Watch".
"""

import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rights.confusables import fold_char, is_invisible

MAX_NAME_TOKENS = 32
MIN_KEY_CHARS = 3
MAX_KEY_CHARS = 500  # the column's width; casefolding can lengthen a text ("ß" -> "ss")
MAX_READINGS = 8  # ways of reading the invisible characters in one run of a prompt's words

# Function words of the languages collections are catalogued in, and name particles:
# "The Kiss" is named by "kiss", "Rembrandt van Rijn" by "rembrandt rijn". Single letters
# that only ever stand for a possessive or an elision ("Vermeer's", "d'Arc") are here too.
_STOP_WORDS = """
a an the of and or in on at to for with by from as into onto upon over under after
is are was be it its this that these those my your his her our their s d l t
de del della delle dei degli di da dal dalla la le les du des un une et en au aux sur
het een van der den ten ter te op
die das dem des ein eine einer und von vom zu zum zur im am mit
el los las y e o con
il lo gli i
"""

DISTINCTIVE = "distinctive"  # a word not among the common ones: it names something
COMMON = "common"  # among the most frequent English words: it names nothing alone
INITIAL = "initial"  # one letter standing for a given name


@dataclass(frozen=True)
class Word:
    key: str  # folded
    start: int  # where the word stands in the text it was read from
    end: int
    soft: bool  # only invisible characters separate it from the word before


@dataclass(frozen=True)
class NameForm:
    """One usual way of writing a name: its kind, its key and its words as written."""

    form: str  # title; name (one word); full_name, surname_given, initials, given_surname, surname
    key: str  # its folded words, spaced
    words: tuple[str, ...]

    @property
    def stored(self) -> str:
        """What the key is stored and looked up as: its words run together."""
        return self.key.replace(" ", "")


@dataclass(frozen=True)
class PromptKey:
    key: str  # the words run together, as stored keys are
    start: int
    end: int


def _is_word_char(char: str) -> bool:
    # Marks belong to their word: in many scripts they are its vowels.
    return unicodedata.category(char)[0] in "LNM"


def words(text: str) -> list[Word]:
    """The folded words of a text; an invisible character separates words like a space,
    and the word after it is marked `soft`."""
    found: list[Word] = []
    current: list[str] = []
    start = 0
    soft = False  # the gap since the last word holds only invisible characters
    for index, char in enumerate(text):
        if is_invisible(char):
            if current:
                found.append(Word("".join(current), start, index, soft))
                current, soft = [], True
            continue
        for folded in fold_char(char):
            if _is_word_char(folded):
                if not current:
                    start = index
                    soft = soft and bool(found)
                current.append(folded)
            else:
                if current:
                    found.append(Word("".join(current), start, index, soft))
                    current = []
                soft = False
    if current:
        found.append(Word("".join(current), start, len(text), soft))
    return found


def singular(word: str) -> str:
    """A light English plural fold, the same on both sides ("Sunflowers" ~ "sunflower")."""
    if len(word) < 4:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def fold_word(text: str) -> str:
    return singular("".join(fold_char(c) for c in text))


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(w.key for w in words(_STOP_WORDS))


@cache
def _common_words() -> frozenset[str]:
    data = resources.files("rights").joinpath("data/common_words.txt").read_text("utf-8")
    return frozenset(
        fold_word(line) for line in data.splitlines() if line and not line.startswith("#")
    )


@cache
def _letters() -> frozenset[str]:
    # Folded, a letter can become two ("m" reads as "rn"): still one initial.
    return frozenset(fold_char(c) for c in string.ascii_lowercase)


def word_class(key_word: str) -> str:
    """How much a word of a name says: a distinctive word names something by itself."""
    if len(key_word) == 1 or key_word in _letters():
        return INITIAL
    if key_word.isdigit() or key_word in _common_words():
        return COMMON
    return DISTINCTIVE


def _significant(found: list[Word], keep_glued: bool = False) -> list[Word]:
    """The words that can be part of a name (not yet plural folded). With `keep_glued`, a stop
    word glued to a neighbour by an invisible character is kept: it may be a piece of a
    split word ("Verme\u200ber" holds the Italian "e")."""
    stop = _stop_words()
    kept = []
    for index, word in enumerate(found):
        key = singular(word.key)
        glued = word.soft or (index + 1 < len(found) and found[index + 1].soft)
        if (word.key in stop or key in stop) and not (keep_glued and glued):
            continue
        kept.append(word)
    return kept


def _key(keys: list[str]) -> str:
    return " ".join(keys[:MAX_NAME_TOKENS])[:MAX_KEY_CHARS]


def name_forms(text: str, named: str) -> list[NameForm]:
    """The keys a title ("title") or a creator ("creator") is stored under.

    A title has one form: its significant words. A person's name also has the forms
    people write: "Vermeer, Johannes", "J. Vermeer", "Jan Steen" for "Jan Havicksz.
    Steen", and the surname alone, but only when the surname is distinctive.
    """
    if named == "creator" and text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first:
            text = f"{first} {last}"
    sig = [Word(singular(w.key), w.start, w.end, w.soft) for w in _significant(words(text))]
    shown = [text[w.start : w.end] for w in sig]
    keys = [w.key for w in sig]
    forms: list[NameForm] = []
    if named == "title" or len(sig) == 1:
        forms.append(NameForm("title" if named == "title" else "name", _key(keys), tuple(shown)))
    elif sig:
        given, surname = keys[:-1], keys[-1]
        initials = [fold_word(text[w.start]) for w in sig[:-1]]
        dotted = [text[w.start] + "." for w in sig[:-1]]
        candidates = [
            ("full_name", keys, shown),
            ("surname_given", [surname, *given], [shown[-1], *shown[:-1]]),
            ("initials", [*initials, surname], [*dotted, shown[-1]]),
            ("initials", [initials[0], surname], [dotted[0], shown[-1]]),
            ("given_surname", [given[0], surname], [shown[0], shown[-1]]),
        ]
        if word_class(surname) == DISTINCTIVE:
            candidates.append(("surname", [surname], [shown[-1]]))
        stop = _stop_words()
        for kind, form_keys, form_shown in candidates:
            kept = [(k, s) for k, s in zip(form_keys, form_shown, strict=True) if k not in stop]
            forms.append(NameForm(kind, _key([k for k, _ in kept]), tuple(s for _, s in kept)))
    unique: dict[str, NameForm] = {}
    for form in forms:
        if len(form.stored) >= MIN_KEY_CHARS:
            unique.setdefault(form.stored, form)
    return list(unique.values())


def name_key(text: str) -> str | None:
    """A title's stored key (its significant words); None when too short to mean anything."""
    forms = name_forms(text, "title")
    return forms[0].stored if forms else None


def prompt_keys(prompt: str) -> dict[str, PromptKey]:
    """Every run of consecutive significant words in the prompt, as a stored key would
    be written, with the first place each stands in the prompt. Stop words glued to a
    neighbour by invisible characters are read both ways: dropped, and kept as pieces."""
    found = words(prompt)
    readings = [_significant(found)]
    if any(w.soft for w in found):
        readings.append(_significant(found, keep_glued=True))
    keys: dict[str, PromptKey] = {}
    for sig in readings:
        for first in range(len(sig)):
            # (folded words so far, the run of pieces since the last word boundary):
            # the plural fold belongs at a word's end, and behind an invisible character
            # a word may or may not end, so both are kept, a few readings at most.
            states = [("", "")]
            for last in range(first, min(len(sig), first + MAX_NAME_TOKENS)):
                piece = sig[last].key
                grown: dict[tuple[str, str], None] = {}
                for done, run in states:
                    if last > first and sig[last].soft:
                        grown[(done, run + piece)] = None
                    grown[(done + singular(run), piece)] = None
                states = list(grown)[:MAX_READINGS]
                for done, run in states:
                    key = done + singular(run)
                    if MIN_KEY_CHARS <= len(key) <= MAX_KEY_CHARS and key not in keys:
                        keys[key] = PromptKey(key, sig[first].start, sig[last].end)
                if all(len(done) > MAX_KEY_CHARS for done, _ in states):
                    break
    return keys


@dataclass(frozen=True)
class NameMatch:
    """A work's name found in a prompt: which name, in which form, and where."""

    named: str  # "title" or "creator"
    form: NameForm
    found: PromptKey


def stored_keys(title: str, creator: str) -> list[tuple[str, str]]:
    """The (title or creator, key) rows a work's names are stored under."""
    return [
        (named, form.stored)
        for named, text in (("title", title), ("creator", creator))
        for form in name_forms(text, named)
    ]


def form_with_key(text: str, named: str, stored: str) -> NameForm | None:
    """The form of a name a stored key stands for (None for a key of older rules)."""
    return next((f for f in name_forms(text, named) if f.stored == stored), None)
