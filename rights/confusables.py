"""Folding text the way a reader sees it: confusable letters to one prototype, invisible
characters to gaps.

A prompt that writes "Johannes" with a Cyrillic "o" (U+043E), or "Johannes\u200bVermeer" with a
zero-width space, reads as the name to a person and to most text encoders, so the
prompt check must read it so too. The prototypes are Unicode TR39's (confusables.txt,
compacted into data/confusables.tsv by tools/make_name_tables.py).
"""

import unicodedata
from functools import cache
from importlib import resources

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) and the blank-looking
# fillers beside it: none of them shows, so none may hide a word boundary or make a
# prompt look non-blank. Format (Cf) and control (Cc) characters are invisible too.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Accents are dropped ("Dürer" is how "Durer" is often typed); only the generic combining
# diacritics, since marks in other blocks are letters' vowels in their scripts.
_ACCENTS = range(0x0300, 0x0370)


def is_invisible(char: str) -> bool:
    code = ord(char)
    # Not unassigned (Cn) or private-use characters: a newer emoji than this Python's
    # Unicode tables, or a private glyph, still shows.
    if unicodedata.category(char) in ("Cf", "Cc", "Cs") and not char.isspace():
        return True
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: whitespace and invisible characters only."""
    return all(c.isspace() or is_invisible(c) for c in text)


@cache
def _prototypes() -> dict[str, str]:
    table: dict[str, str] = {}
    data = resources.files("rights").joinpath("data/confusables.tsv").read_text("utf-8")
    for line in data.splitlines():
        if not line or line.startswith("#"):
            continue
        source, target = line.split("\t")
        table[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return table


@cache
def fold_char(char: str) -> str:
    """What one character reads as: NFKC, casefolded, its TR39 prototype, unaccented.

    Folding is per character so that a folded word can name the characters of the text
    it came from; both stored names and prompts are folded this same way.
    """
    prototypes = _prototypes()
    text = unicodedata.normalize("NFKC", char).casefold()
    mapped = "".join(prototypes.get(c, c) for c in unicodedata.normalize("NFD", text))
    bare = "".join(c for c in unicodedata.normalize("NFD", mapped) if ord(c) not in _ACCENTS)
    return unicodedata.normalize("NFC", bare.casefold())
