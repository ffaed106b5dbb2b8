"""Checks on free text that every database must be able to store."""


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it everywhere keeps both databases alike.
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value
