"""`audit check` on each entry row: its index, kind, subject, actor and time columns
(what queries and exports select by) against what its signed bytes say.

The service writes every entry as RFC 8785 JSON, whose keys come sorted:
{"actor":A,"at":T,"data":D,"index":I,"kind":K,"subject":S}. A row whose bytes are
exactly that envelope, built from its own columns, around one JSON value is what a
full parse would accept; it is checked so, parsing only the data (a full parse of
each entry was the largest cost of the check). Any other row is parsed whole and
compared field by field, as the check always has.
"""

import json
import re
from collections.abc import Callable, Sequence
from json.scanner import make_scanner
from typing import Any, cast

from sqlmodel import Session

from governance.audit.log import entry_time
from governance.audit.models import AuditEntry

_decoder = json.JSONDecoder()
_decode = _decoder.decode
# The scanner JSONDecoder.decode calls: one value from an index, no whitespace around it.
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(cast(Any, _decoder))
# How SQLAlchemy stores a datetime in SQLite's text, with a fraction.
_STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}").fullmatch


class Times:
    """How an entry states a row's created_at: `entry_time` of the column as the ORM
    reads it."""

    def __init__(self, session: Session) -> None:
        dialect = session.get_bind().dialect
        column = AuditEntry.__table__.c.created_at  # type: ignore[attr-defined]
        self._read = column.type.dialect_impl(dialect).result_processor(dialect, None)

    def signed_form(self, column: Any) -> str:
        if type(column) is str and _STORED_TIME(column) and column[20:] != "000000":
            # SQLite's text read as a datetime and written out again, by slicing (a
            # datetime built per row cost a tenth of the check).
            return f"{column[:10]}T{column[11:]}Z"
        return entry_time(self._read(column) if self._read else column)


def check_entries(
    rows: Sequence[Any],
    start: int,
    kinds: list[str | None],
    times: Times,
    note: Callable[[str], None],
) -> int:
    """How many rows, from the chunk's start, follow on without a gap. Each checked
    row's kind, as its signed bytes state it (None if they state none), goes to `kinds`."""
    for offset, row in enumerate(rows):
        idx = row[0]
        if idx != start + offset:
            note(f"entry {start + offset} is missing (next row has index {idx})")
            return offset
        kinds.append(row[1] if _canonical(row, times) else _parsed(row, times, note))
    return len(rows)


def _canonical(row: Sequence[Any], times: Times) -> bool:
    """Whether the row's bytes are its columns' canonical envelope around one value."""
    idx, kind, subject, actor, created_at, entry = row
    if not (_plain(kind) and _plain(subject) and _plain(actor)):
        return False
    try:
        at = times.signed_form(created_at)
    except ValueError:  # no time at all: the full comparison names it
        return False
    head = f'{{"actor":"{actor}","at":"{at}","data":'.encode()
    tail = f',"index":{idx},"kind":"{kind}","subject":"{subject}"}}'.encode()
    if len(entry) <= len(head) + len(tail) or not (entry.startswith(head) and entry.endswith(tail)):
        return False
    try:
        data = entry[len(head) : -len(tail)].decode()
        _, end = _scan(data, 0)
    except (ValueError, StopIteration):
        return False
    return bool(end == len(data))


def _plain(text: Any) -> bool:
    """A string JSON writes as itself between quotes (nothing to escape)."""
    return type(text) is str and '"' not in text and "\\" not in text and text.isprintable()


def _parsed(row: Sequence[Any], times: Times, note: Callable[[str], None]) -> str | None:
    """The whole entry parsed and compared field by field; the kind it states."""
    idx, kind, subject, actor, created_at, entry = row
    try:
        # str in, not bytes: json.loads(bytes) sniffs the encoding first, which at a
        # million entries costs more than the parse (entries are UTF-8 by design).
        signed = _decode(entry.decode())
    except ValueError:
        signed = None
    if not isinstance(signed, dict) or signed.get("index") != idx:
        stated = signed.get("index") if isinstance(signed, dict) else None
        note(f"entry {idx}: its bytes say index {stated} (moved or altered)")
    elif (
        signed.get("kind") != kind
        or signed.get("subject") != subject
        or signed.get("actor") != actor
        or not _same_time(signed.get("at"), created_at, times)
    ):
        # Queries and exports select by these columns: they must say what was signed.
        note(f"entry {idx}: its kind, subject, actor or time columns differ from its signed bytes")
    return str(signed.get("kind")) if isinstance(signed, dict) else None


def _same_time(at: Any, column: Any, times: Times) -> bool:
    try:
        return bool(at == times.signed_form(column))
    except ValueError:  # a column that reads as no time differs from any signed one
        return False
