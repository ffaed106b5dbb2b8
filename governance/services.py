"""What every service function needs besides its session, built once per process."""

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from governance.adapters.loader import ModelLoader
from governance.audit.keys import load_or_create_key
from governance.audit.log import AuditLog
from governance.blobs import BlobStore
from governance.db import make_engine, make_storage_private, ping, prepare_storage, read_only
from governance.settings import Settings
from governance.signing import SigningSetup, check_visible_label, load_signing
from governance.threads import limit_compute_threads
from rights.hash_index import HashIndex
from rights.match_index import MatchIndex
from rights.nearcopy_index import StoredNearCopyIndex

log = logging.getLogger("governance")


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    blobs: BlobStore
    match_index: MatchIndex
    # Training items' pHashes, keyed by item id (governance/aimodels/item_index.py).
    item_index: HashIndex
    # Labelled outputs' pHashes, keyed by label id (governance/credentials/fingerprint_index.py).
    label_index: HashIndex
    model_loader: ModelLoader
    audit: AuditLog
    signing: SigningSetup
    # The service's own root and any configured anchors, read once here, not on every
    # file that carries a manifest. Nothing else is trusted: no default trust list.
    c2pa_trust_anchors: str
    # Visual words of every work's near-copy record (rights.nearcopy), for candidates.
    # Made on first use (it is 32 MB even when empty): services that never match pay nothing.
    near_copy_index: StoredNearCopyIndex = field(default_factory=StoredNearCopyIndex)


def build_services(settings: Settings) -> Services:
    """Size the compute threads, migrate the database, load (or make) the signing key,
    and wire the parts."""
    limit_compute_threads(settings.compute_threads)
    prepare_storage(settings)
    key = load_or_create_key(settings.audit_signing_key, settings.default_audit_key)
    signing = load_signing(settings)
    make_storage_private(settings)
    check_visible_label(settings)
    anchors = signing.root_pem.decode()
    if settings.c2pa_trust_anchors:
        anchors += "\n" + settings.c2pa_trust_anchors.read_text()
    return Services(
        settings=settings,
        engine=make_engine(settings.resolved_database_url, settings.database_busy_timeout_seconds),
        blobs=BlobStore(settings.blob_dir),
        match_index=MatchIndex(),
        # Built here so that the core imports no domain package: the columns are what
        # each domain module keeps beside the hash.
        item_index=HashIndex(model_id=np.int64),
        label_index=HashIndex(dhash=np.int64),
        model_loader=ModelLoader(threads=settings.compute_threads),
        audit=AuditLog(origin=settings.audit_origin, key=key),
        signing=signing,
        c2pa_trust_anchors=anchors,
    )


def load_indexes(services: Services) -> None:
    """Load the works' in-memory indexes from the database in bulk (a start-up's work,
    before the service reports healthy; later requests add only what is new)."""
    started = time.perf_counter()
    with Session(read_only(services.engine)) as session:
        services.match_index.refresh(session)
        services.near_copy_index.refresh(session)
    log.info(
        "indexes loaded: %d hash rows, %d near-copy records, in %.1f s",
        len(services.match_index),
        len(services.near_copy_index),
        time.perf_counter() - started,
    )


def check_ready(session: Session, services: Services) -> None:
    """Fails unless the database answers; loads the indexes first if nothing has yet
    (the app's start-up does, so this waits only where it was skipped)."""
    if not services.near_copy_index.loaded:
        load_indexes(services)
    ping(session)
