"""Normalised names, so that "The Night-Watch" in a prompt finds the work "the night watch"."""

import re
import unicodedata

MAX_NAME_TOKENS = 32
MIN_KEY_CHARS = 3
MAX_KEY_CHARS = 500  # the column's width; casefolding can lengthen a text ("ß" -> "ss")
_NOT_WORD = re.compile(r"[^\w]+")


def tokens(text: str) -> list[str]:
    # Invisible format characters (zero-width spaces and joiners) would otherwise split
    # or hide a name: "Rembr\u200bandt" is "Rembrandt" to a reader.
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFKC", visible).casefold()
    return [t for t in _NOT_WORD.split(folded.replace("_", " ")) if t]


def name_key(text: str) -> str | None:
    """The key a title or creator is stored under; None when too short to mean anything."""
    key = " ".join(tokens(text)[:MAX_NAME_TOKENS])[:MAX_KEY_CHARS]
    return key if len(key) >= MIN_KEY_CHARS else None


def prompt_keys(prompt: str) -> set[str]:
    """Every run of consecutive words in the prompt that could be a stored key."""
    words = tokens(prompt)
    keys = set()
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_NAME_TOKENS) + 1):
            key = " ".join(words[start:end])[:MAX_KEY_CHARS]
            if len(key) >= MIN_KEY_CHARS:
                keys.add(key)
    return keys
