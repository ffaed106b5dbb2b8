"""`audit check` reads the log once: the reconciliation of the live rows takes the
entries as the check streams them and finds what it finds reading them itself, and the
whole check reads one snapshot, so appends made meanwhile are neither seen nor blocked.
What the pass reads the short way (a checkpoint's note the log's key made, an entry
that is its columns' own envelope, a chunk's subtrees a level at a time) it judges as
the long way does."""

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from governance.audit import check as check_module
from governance.audit import check_entries as check_entries_module
from governance.audit import check_reads, check_tree
from governance.audit.check import MAX_PROBLEMS, check_log
from governance.audit.check_checkpoints import KeySignatures
from governance.audit.check_entries import Times, check_entries
from governance.audit.check_run import CheckReport, check_everything
from governance.audit.log import AuditLog, entry_time
from governance.audit.models import AuditEntry
from governance.audit.notes import NoteError, open_checkpoint, sign_checkpoint
from governance.audit.reconcile import reconcile
from governance.db import unit_of_work
from governance.services import Services
from tests.support.audit_helpers import tamper
from tests.support.helpers import auth, png_bytes, register
from tests.support.service_fixture import KEYS, Service

CHUNK = 8
# A statement that reads entries' signed bytes (not one that reads other columns).
_READS_ENTRIES = re.compile(r"select\b.*\bentry\b.*\bfrom audit_entries\b", re.I | re.S)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "CHUNK", CHUNK)


def _fill(service: Service, noise: int) -> dict[str, int]:
    """Works of both holders with a change of terms, then `noise` entries of a kind with
    no schema, one more work, and the log's size."""
    ids = {}
    for holder, photo in (("alice", "coffee"), ("bob", "camera")):
        made = register(service.client, service.keys[holder], png_bytes(photo), title="A work")
        assert made.status_code == 201, made.text
        ids[holder] = made.json()["id"]
    changed = service.client.put(
        f"/v1/works/{ids['alice']}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_training": "allowed"}},
    )
    assert changed.status_code == 200, changed.text
    services: Services = service.app.state.services
    with unit_of_work(services.engine) as session:
        for i in range(noise):
            services.audit.append(session, "test.noise", f"noise:{i}", "test", {"i": i})
    late = register(service.client, service.keys["alice"], png_bytes("astronaut"), title="Late")
    assert late.status_code == 201, late.text
    ids["late"] = late.json()["id"]
    with Session(services.engine) as session:
        ids["size"] = session.exec(text("SELECT count(*) FROM audit_entries")).one()[0]  # type: ignore[call-overload]
    return ids


def _edit(service: Service, *statements: str) -> None:
    with Session(service.app.state.services.engine) as session:
        for statement in statements:
            session.exec(text(statement))  # type: ignore[call-overload]
        session.commit()


def _two_passes(services: Services) -> list[str]:
    """What `audit check` reported before it read the log once: the log's check, then a
    second read of every entry to reconcile the rows."""
    with Session(services.engine) as session:
        _, problems = check_log(session, services.audit)
        if len(problems) < MAX_PROBLEMS:
            problems += reconcile(session, limit=MAX_PROBLEMS - len(problems))
    return problems


def _statements(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement run from here on: through SQLAlchemy, and the check's plain reads."""
    seen: list[str] = []

    def through_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", through_sqlalchemy)
    plain = check_reads.plain_rows

    def counted(session: Session, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        seen.append(sql)
        return plain(session, sql, params)

    for module in (check_reads, check_module, check_tree):
        monkeypatch.setattr(module, "plain_rows", counted)
    return seen


def test_the_log_is_read_once(
    service: Service, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _fill(service, noise=13)
    _edit(service, f"UPDATE works SET title = 'Forged' WHERE id = {ids['late']}")
    services: Services = service.app.state.services
    seen = _statements(services, monkeypatch)
    report = check_everything(services.engine, services.audit)
    assert report.size == ids["size"]
    assert len(report.problems) == 1 and "title" in report.problems[0], report.problems
    reads = [s for s in seen if _READS_ENTRIES.search(s)]
    # Chunks of CHUNK rows until one comes back short: one pass, and only one.
    assert len(reads) == ids["size"] // CHUNK + 1, reads
    seen.clear()  # the count can fail: two passes read the log twice
    _two_passes(services)
    assert len([s for s in seen if _READS_ENTRIES.search(s)]) > ids["size"] // CHUNK + 1


# (what is changed, statements on the live rows, statements on the log's own tables)
CHANGES: list[tuple[str, list[str], list[str]]] = [
    ("nothing", [], []),
    ("a title", ["UPDATE works SET title = 'Forged' WHERE id = {late}"], []),
    (
        "an entry missing, and a row recorded after it",
        ["UPDATE works SET creator = 'Someone' WHERE id = {late}"],
        ["DELETE FROM audit_entries WHERE idx = 9"],
    ),
    (
        "an entry's columns, its row, and a row no entry records",
        [
            "UPDATE works SET license = 'CC0-1.0' WHERE id = {alice}",
            "INSERT INTO api_keys (name, role, key_sha256, created_at) "
            "VALUES ('mallory', 'admin', 'x', CURRENT_TIMESTAMP)",
        ],
        ["UPDATE audit_entries SET subject = 'work:999' WHERE idx = 3"],
    ),
    (
        "more problems than are reported",
        [
            "INSERT INTO works (holder_id, title, creator, license, sha256, pixel_sha256, "
            "media_type, width, height, byte_size, created_at) VALUES "
            + ", ".join(
                f"(1, 'Planted', 'x', 'CC0-1.0', 's{n}', 'p{n}', 'image/png', 8, 8, 10, "
                "CURRENT_TIMESTAMP)"
                for n in range(MAX_PROBLEMS)
            )
        ],
        ["UPDATE audit_entries SET actor = 'key:99' WHERE idx = 1"],
    ),
]


@pytest.mark.parametrize(("rows", "log"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_one_pass_finds_what_two_passes_found(
    service: Service, small_chunks: None, rows: list[str], log: list[str]
) -> None:
    ids = _fill(service, noise=11)
    if rows:
        _edit(service, *(statement.format(**ids) for statement in rows))
    if log:
        tamper(service, *log)
    services: Services = service.app.state.services
    report = check_everything(services.engine, services.audit)
    assert report.problems == _two_passes(services)
    assert bool(report.problems) == bool(rows or log)
    assert len(report.problems) <= MAX_PROBLEMS


def test_appends_meanwhile_are_neither_seen_nor_blocked(
    service: Service, small_chunks: None
) -> None:
    services: Services = service.app.state.services
    with unit_of_work(services.engine) as session:
        for i in range(20 - len(KEYS)):
            services.audit.append(session, "test.bulk", f"work:{i % 3}", "test", {"i": i})
    told: list[tuple[int, int]] = []

    def append_meanwhile(read: int, total: int) -> None:
        # Another connection appends and commits, as the service would: under READ
        # COMMITTED the check then saw checkpoints and subtrees past the entries it had
        # read, and on SQLite the check's write lock kept the append waiting.
        told.append((read, total))
        with unit_of_work(services.engine) as session:
            services.audit.append(session, "test.bulk", "work:9", "test", {"during": read})

    report = check_everything(services.engine, services.audit, progress=append_meanwhile)
    assert report == CheckReport(20, [])
    assert told == [(8, 20), (16, 20), (20, 20)]
    assert check_everything(services.engine, services.audit) == CheckReport(23, [])


def test_the_snapshot_refuses_writes(service: Service) -> None:
    from governance.audit.check_run import snapshot
    from governance.db import WriteOutsideTransaction

    engine = service.app.state.services.engine
    refused: tuple[type[BaseException], ...] = (WriteOutsideTransaction,)
    with snapshot(engine) as session, pytest.raises(refused):
        session.exec(text("DELETE FROM works"))  # type: ignore[call-overload]


def test_a_note_is_taken_as_the_keys_own_only_when_it_is(service: Service) -> None:
    """The check accepts a checkpoint's note without verifying it only when it is what
    the log's key makes for that size and root; anything else goes to full verification."""
    audit = service.app.state.services.audit
    keys = KeySignatures(audit)
    other = AuditLog(origin=audit.origin, key=Ed25519PrivateKey.generate())
    for signs in (0, 1, 7, 1000, 2**40 + 3):
        root = hashlib.sha256(str(signs).encode()).digest()
        note = sign_checkpoint(audit.origin, signs, root, audit.key_name, audit.key)
        assert keys.made_it(note, signs, root)
        head, stamp = note[:-1].rsplit(" ", 1)
        raw = base64.b64decode(stamp)
        point, s = raw[4:36], int.from_bytes(raw[36:], "little")
        order = 2**252 + 27742317777372353535851937790883648493
        forged = [
            (note, signs + 1, root),  # another body
            (note, signs, bytes(32)),
            (sign_checkpoint(audit.origin, signs, root, other.key_name, other.key), signs, root),
            (sign_checkpoint("elsewhere", signs, root, audit.key_name, audit.key), signs, root),
            (note + f"\u2014 {audit.key_name} {stamp}\n", signs, root),  # a second line
        ]
        for changed in (
            raw[:4] + point + ((s + 1) % 2**256).to_bytes(32, "little"),
            raw[:4] + point + (s + order).to_bytes(32, "little"),  # the same S, not canonical
            raw[:4] + bytes([point[0] ^ 1]) + point[1:] + raw[36:],
        ):
            forged.append((f"{head} {base64.b64encode(changed).decode()}\n", signs, root))
        for text_, at, hashed in forged:
            assert not keys.made_it(text_, at, hashed)
        # Each is still named by the full verification, as before.
        with pytest.raises(NoteError):
            open_checkpoint(forged[-1][0], audit.verifier_key)


def _entry(actor: str, at: str, data: str, index: int, kind: str, subject: str) -> bytes:
    """An entry's bytes as RFC 8785 writes them (keys sorted, no spaces, UTF-8)."""
    actor, kind, subject = (json.dumps(v, ensure_ascii=False) for v in (actor, kind, subject))
    return (
        f'{{"actor":{actor},"at":"{at}","data":{data},"index":{index},'
        f'"kind":{kind},"subject":{subject}}}'
    ).encode()


AT, STORED = "2026-11-28T05:27:01.123456Z", "2026-11-28 05:27:01.123456"


def _row(
    data: str = "1",
    column: str = STORED,
    at: str = AT,
    actor: str = "a",
    subject: str = "s",
    kind: str = "k.x",
    signed_kind: str = "k.x",
    spaced: bool = False,
) -> tuple[str, str, str, str, bytes]:
    """A row's kind, subject, actor and time columns, and its bytes (index left to fill)."""
    entry = _entry(actor, at, data, -1, signed_kind, subject)
    return kind, subject, actor, column, entry.replace(b",", b", ") if spaced else entry


ROWS: list[tuple[str, tuple[str, str, str, str, bytes]]] = [
    ("canonical", _row('{"a":[1]}', subject="work:1", actor="key:1")),
    ("zero fraction", _row(column="2026-11-28 05:27:01.000000", at="2026-11-28T05:27:01Z")),
    ("escaped actor", _row(actor='a"b')),
    ("non-ASCII subject", _row(subject="work:\u00e9")),
    ("kind column", _row(kind="k.y")),
    ("time a microsecond off", _row(column="2026-11-28 05:27:01.123457")),
    ("time written another way", _row(column="2026-11-28T05:27:01.123456")),
    ("not JSON after the data", _row('{"i":1}}')),
    ("a key after the data", _row('1,"x":2')),
    ("another index inside", _row('{},"index":99,"data":{}')),
    ("spaces", _row(spaced=True)),
    ("not UTF-8", _row('"\u00ff"')),
    ("no data", _row("")),
]


def _as_before(rows: list[tuple[Any, ...]], read: Callable[[Any], Any]) -> list[str]:
    """What the check said of each row before it read canonical rows by their envelope."""
    said = []
    for idx, kind, subject, actor, created_at, entry in rows:
        try:
            signed = json.loads(entry.decode())
        except ValueError:
            signed = None
        if not isinstance(signed, dict) or signed.get("index") != idx:
            stated = signed.get("index") if isinstance(signed, dict) else None
            said.append(f"entry {idx}: its bytes say index {stated} (moved or altered)")
        elif (
            signed.get("kind") != kind
            or signed.get("subject") != subject
            or signed.get("actor") != actor
            or signed.get("at") != entry_time(read(created_at))
        ):
            said.append(f"entry {idx}: {_COLUMNS_DIFFER}")
    return said


_COLUMNS_DIFFER = "its kind, subject, actor or time columns differ from its signed bytes"


def test_entries_read_by_their_envelope_are_judged_as_parsed_whole() -> None:
    engine = create_engine("sqlite://")
    column = AuditEntry.__table__.c.created_at  # type: ignore[attr-defined]
    read = column.type.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
    rows = [
        (idx, kind, subject, actor, at, entry.replace(b'"index":-1', b'"index":%d' % idx))
        for idx, (_, (kind, subject, actor, at, entry)) in enumerate(ROWS)
    ]
    rows[11] = (*rows[11][:5], rows[11][5].replace("\u00ff".encode(), b"\xff"))
    with Session(engine) as session:
        times = Times(session)
        said: list[str] = []
        kinds: list[str | None] = []
        assert check_entries(rows, 0, kinds, times, said.append) == len(rows)
        read_by_envelope = [check_entries_module._canonical(row, times) for row in rows]
    # Both ways are taken: by the envelope where it is the columns' own, else parsed whole.
    assert [w for (w, _), fast in zip(ROWS, read_by_envelope, strict=True) if fast] == [
        "canonical",
        "zero fraction",
        "non-ASCII subject",
        "time written another way",
    ]
    assert said == _as_before(rows, read)
    named = {int(problem.split(":")[0].split()[1]) for problem in said}
    assert [w for i, (w, _) in enumerate(ROWS) if i in named] == [
        "kind column",
        "time a microsecond off",
        "not JSON after the data",
        "not UTF-8",
        "no data",
    ]
    assert kinds[0] == "k.x" and kinds[4] == "k.x"  # the kind the bytes state
    assert kinds[7] is None  # unreadable: the reconciliation parses it itself


def test_a_time_column_that_is_no_time_is_named() -> None:
    with Session(create_engine("sqlite://")) as session:
        said: list[str] = []
        row = (0, "k.x", "s", "a", "not a time", _entry("a", AT, "1", 0, "k.x", "s"))
        check_entries([row], 0, [], Times(session), said.append)
    assert said == [
        "entry 0: its kind, subject, actor or time columns differ from its signed bytes"
    ]


def test_subtrees_are_named_in_leaf_order(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's subtrees are compared a level at a time; differences are still named
    leaf by leaf, bottom-up, as before."""
    monkeypatch.setattr(check_module, "CHUNK", 8)
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        for i in range(20 - len(KEYS)):
            services.audit.append(session, "test.bulk", "work:1", "test", {"i": i})
    zero = _blob(services.engine, bytes(32))
    tamper(
        service,
        f"UPDATE audit_nodes SET hash = {zero} WHERE level = 0 AND idx = 3",
        f"UPDATE audit_nodes SET hash = {zero} WHERE level = 1 AND idx = 0",
        f"UPDATE audit_nodes SET hash = {zero} WHERE level = 3 AND idx = 1",
        "DELETE FROM audit_nodes WHERE level = 0 AND idx = 17",
    )
    with Session(services.engine) as session:
        assert check_log(session, services.audit) == (
            20,
            [
                "subtree hash (level 1) 0 does not match the entries",
                "leaf hash 3 does not match the entries",
                "subtree hash (level 3) 1 does not match the entries",
                "leaf hash 17 does not match the entries",
            ],
        )


def _blob(engine: Engine, value: bytes) -> str:
    if engine.dialect.name == "postgresql":
        return f"'\\x{value.hex()}'::bytea"
    return f"X'{value.hex()}'"
