"""Opening an existing deployment to read it, creating nothing: `govern verify` inside one.

`build_services` is how the service starts: it makes the data dir, migrates the
database and generates the keys and development CA it lacks. A verifier must not: on a
machine that only holds a copy of a deployment it would leave a new one behind, and on
a live one it must never write. Here the database is opened so that it cannot be
written (SQLite read-only or immutable; a PostgreSQL session whose transactions are read
only), its schema must already be this version's, and the keys and certificates are
read where they exist and never made.
"""

import sqlite3
from pathlib import Path
from urllib.parse import quote

import numpy as np
from alembic.script import ScriptDirectory
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from governance.adapters.loader import ModelLoader
from governance.audit.log import AuditLog
from governance.blobs import BlobStore
from governance.cli.aborted import Aborted
from governance.db import alembic_config, sqlite_file
from governance.services import Services
from governance.settings import Settings
from governance.signing import CHAIN_FILE, SigningSetup
from governance.threads import limit_compute_threads
from labeling.c2pa_sign import SignerConfig
from rights.hash_index import HashIndex
from rights.match_index import MatchIndex

SIDE_FILES = ("-wal", "-shm")


def deployment_here(settings: Settings) -> bool:
    """Whether the settings name a deployment that exists: a database URL of its own, or
    the data dir's SQLite database. Nothing is opened to find out."""
    if settings.database_url:
        return True
    database = sqlite_file(settings.resolved_database_url)
    return database is not None and database.is_file()


def where(settings: Settings) -> str:
    """The database, as it may be shown: a PostgreSQL URL without its password."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def open_read_only(settings: Settings) -> Services:
    """The services over the existing deployment, for verification only. Raises `Aborted`
    when its database cannot be read or is of another schema version."""
    limit_compute_threads(settings.compute_threads)
    url = settings.resolved_database_url
    engine = _engine(url)
    try:
        _check_schema(engine, url, where(settings))
        root = _published_root(settings)
        anchors = root.decode()
        if settings.c2pa_trust_anchors:
            anchors += "\n" + settings.c2pa_trust_anchors.read_text()
    except OSError as exc:
        engine.dispose()
        raise Aborted(f"the deployment's files cannot be read: {exc}") from None
    except BaseException:
        engine.dispose()
        raise
    return Services(
        settings=settings,
        engine=engine,
        blobs=BlobStore(settings.blob_dir),
        match_index=MatchIndex(),
        item_index=HashIndex(model_id=np.int64),
        label_index=HashIndex(dhash=np.int64),
        model_loader=ModelLoader(threads=settings.compute_threads),
        # Verification appends nothing and the engine cannot write: a key made in memory,
        # never kept, stands in for the log's own (which is not read, nor made).
        audit=AuditLog(origin=settings.audit_origin, key=Ed25519PrivateKey.generate()),
        signing=SigningSetup(
            SignerConfig(chain_pem=b"", callback=_never_signs), root_pem=root, source="read-only"
        ),
        c2pa_trust_anchors=anchors,
    )


def _never_signs(_: bytes) -> bytes:
    raise RuntimeError("a deployment opened to verify signs nothing")


def _engine(url: str) -> Engine:
    database = sqlite_file(url)
    if database is None:
        # Every transaction of these sessions is read only: PostgreSQL refuses any write.
        options = {"options": "-c default_transaction_read_only=on"}
        return create_engine(url, connect_args=options, poolclass=NullPool)
    live = any(Path(f"{database}{suffix}").exists() for suffix in SIDE_FILES)
    # A database in use has its WAL and shared-memory files beside it, and commits the
    # file does not hold yet: read through them, read only. With neither, no process has
    # it open (SQLite removes both when the last connection closes): read it as
    # immutable, which makes no side files, where a read-only open would leave two.
    mode = "mode=ro" if live else "mode=ro&immutable=1"
    uri = f"file:{quote(str(database.resolve()))}?{mode}"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def _check_schema(engine: Engine, url: str, shown: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise Aborted(f"the deployment's database {shown} cannot be read: {reason}") from None
    if current != head:
        raise Aborted(
            f"the deployment's database {shown} is at schema {current}, this govern expects "
            f"{head}; it is not migrated here (verifying writes nothing): start `govern "
            "serve` of this version once, or verify with the govern that serves it"
        )


def _published_root(settings: Settings) -> bytes:
    """The root the deployment publishes at GET /v1/labels/ca.pem, as `load_signing`
    finds it, read only; empty when the deployment has made none yet."""
    if settings.signing_root is not None:
        return settings.signing_root.read_bytes()
    chain = settings.signing_cert_chain or settings.signing_dir / CHAIN_FILE
    if not chain.is_file():
        return b""
    try:
        certificates = x509.load_pem_x509_certificates(chain.read_bytes())
    except ValueError as exc:
        raise Aborted(f"the deployment's signing chain {chain} cannot be read: {exc}") from None
    return certificates[-1].public_bytes(Encoding.PEM)
