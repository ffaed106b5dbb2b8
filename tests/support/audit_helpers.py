"""Helpers for the audit tests, including a from-scratch RFC 9162 verifier.

`independent_root` and `independent_inclusion` know nothing of the project: they are
written from RFC 9162 section 2.1 alone and used only here, to check the service's output.
"""

import base64
import hashlib

from sqlalchemy import text
from sqlmodel import Session

from tests.support.service_fixture import Service


def independent_root(entries: list[bytes]) -> bytes:
    def mth(d: list[bytes]) -> bytes:
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return hashlib.sha256(b"\x00" + d[0]).digest()
        k = 1 << ((len(d) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()

    return mth(entries)


def independent_inclusion(entry: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 2.1.3.2, recursive form)."""

    def walk(m: int, n: int, path: list[bytes]) -> bytes:
        if n == 1:
            return hashlib.sha256(b"\x00" + entry).digest()
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return hashlib.sha256(b"\x01" + walk(m, k, path[:-1]) + path[-1]).digest()
        return hashlib.sha256(b"\x01" + path[-1] + walk(m - k, n - k, path[:-1])).digest()

    return walk(index, size, proof)


def b64d(value: str) -> bytes:
    return base64.b64decode(value)


def tamper(service: Service, *statements: str) -> None:
    """Change audit rows as someone with direct database access would, triggers bypassed."""
    engine = service.app.state.services.engine
    tables = ("audit_entries", "audit_nodes", "audit_checkpoints")
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            for table in tables:
                session.exec(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))  # type: ignore[call-overload]
            try:
                for statement in statements:
                    session.exec(text(statement))  # type: ignore[call-overload]
            finally:
                for table in tables:
                    session.exec(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))  # type: ignore[call-overload]
        else:
            for table in tables:
                for verb in ("update", "delete"):
                    session.exec(text(f"DROP TRIGGER {table}_no_{verb}"))  # type: ignore[call-overload]
            for statement in statements:
                session.exec(text(statement))  # type: ignore[call-overload]
        session.commit()
