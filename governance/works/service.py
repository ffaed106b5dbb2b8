"""Works: register, read, change terms, match. Services flush; the request commits."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from governance.aimodels import clearance
from governance.aimodels.links import link_new_work, models_linked_to
from governance.audit.entries import (
    DisputedMatch,
    RecordedTermsVersion,
    RecordedWork,
    TermsChanged,
    WorkDisputed,
    WorkRegistered,
)
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.db import after_commit, begin_write
from governance.detectors.assess import assess_synthetic
from governance.errors import (
    DuplicateWork,
    ImageTooFlat,
    InvalidInput,
    InvalidLicense,
    InvalidTerms,
    NotWorkOwner,
    WorkNotFound,
)
from governance.images import DecodedImage, decode_image, rgb_pixels
from governance.metadata import parse_metadata_field
from governance.services import Services
from governance.works import duplicates, nearcopy_store
from governance.works.schemas import (
    TermsHistory,
    TermsVersionOut,
    WorkMetadata,
    WorkOut,
    WorkPage,
)
from governance.works.state import work_state
from labeling.c2pa_read import read_c2pa_manifest
from labeling.errors import ManifestReadError
from rights import registry
from rights.disputes import record_disputes
from rights.embedded_terms import terms_from_assertions, terms_from_xmp
from rights.errors import DuplicateWorkError, InvalidLicenseError, InvalidTermsError
from rights.fingerprints import FLAT_MAX_BITS, Fingerprints, fingerprint, hash_hex
from rights.licenses import normalise_license
from rights.models import Work, WorkFingerprint, WorkTermsVersion
from rights.terms import Signal, Use, parse_declared_terms

READERS = (Role.AUDITOR, Role.ADMIN)
# The audit entry keeps the work as first registered (its version 1 shape); the dispute
# has entries of its own.
_RECORDED = set(RecordedWork.model_fields)


@contextmanager
def _rights_errors() -> Iterator[None]:
    try:
        yield
    except InvalidLicenseError as exc:
        raise InvalidLicense(str(exc)) from None
    except InvalidTermsError as exc:
        raise InvalidTerms(str(exc)) from None
    except DuplicateWorkError as exc:
        raise DuplicateWork(exc.existing_work_id) from None


def parse_metadata(raw: str | None) -> WorkMetadata:
    missing = "send the work's title, creator, licence and terms as 'metadata'"
    return parse_metadata_field(WorkMetadata, raw, missing)


def register_work(
    session: Session,
    services: Services,
    principal: Principal,
    data: bytes,
    metadata: WorkMetadata,
) -> WorkOut:
    require_role(principal, Role.RIGHTS_HOLDER)
    settings = services.settings
    assert principal.holder_id is not None, "rights holder keys always belong to a holder"
    decoded = decode_image(data, settings)
    prints = _fingerprints(decoded)
    with _rights_errors():
        # What is wrong with the request itself is said before any duplicate is sought.
        normalise_license(metadata.license)
        parse_declared_terms(metadata.terms)
    signal_sets, reads = embedded_terms(decoded, services.c2pa_trust_anchors)
    # The pixels are read, hashed, described and searched for before the write lock.
    parts = nearcopy_store.describe(decoded)
    searched = duplicates.search(session, services, decoded.image, prints, parts)
    synthetic = assess_synthetic(session, services, rgb_pixels(decoded.image))
    begin_write(session)
    claims = duplicates.refuse_or_claim(
        session, services, principal.holder_id, decoded.image, prints, parts, searched
    )
    new = registry.NewWork(
        holder_id=principal.holder_id,
        title=metadata.title,
        creator=metadata.creator,
        license=metadata.license,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=decoded.media_type,
        width=decoded.width,
        height=decoded.height,
        byte_size=len(data),
        fingerprints=prints,
        declared_terms=metadata.terms,
        embedded_signals=signal_sets,
        embedded_reads=reads,
        changed_by=principal.actor,
    )
    with _rights_errors():
        work, version = registry.register_work(session, new)
    assert work.id is not None
    work.synthetic = synthetic.model_dump(mode="json")
    session.add(work)
    if claims:
        record_disputes(session, work, claims)
    nearcopy_store.keep(session, services, work.id, parts, work.sha256)
    out = work_out(session, work, version)
    services.audit.record(
        session,
        f"work:{out.id}",
        principal.actor,
        WorkRegistered(
            work=RecordedWork.model_validate(out.model_dump(include=_RECORDED)),
            embedded_terms_read=version.embedded["reads"],
        ),
    )
    if claims:
        services.audit.record(
            session,
            f"work:{out.id}",
            principal.actor,
            WorkDisputed(
                work_id=out.id,
                holder_id=out.holder_id,
                matches=[DisputedMatch.model_validate(d.model_dump()) for d in out.disputed_works],
            ),
        )
    # Models trained on this work are judged again now that its terms are known.
    touched = link_new_work(session, services, work, new.fingerprints)
    clearance.recompute_for(
        session, services, touched, f"work.registered:{out.id}", principal.actor
    )
    staged = services.blobs.stage(data)
    after_commit(session, staged.promote, on_rollback=staged.discard)
    return out


def _fingerprints(decoded: DecodedImage) -> Fingerprints:
    prints = fingerprint(decoded.image)
    if prints.flat:
        raise ImageTooFlat(
            f"the picture is too flat to fingerprint: its perceptual hash has only "
            f"{prints.phash_bits} of 64 bits set or unset (more than {FLAT_MAX_BITS} are "
            "needed); a solid colour, a strip one pixel wide or a straight ramp could not be "
            "told apart from any other like it"
        )
    return prints


def embedded_terms(
    decoded: DecodedImage, trust: str | None
) -> tuple[list[dict[Use, Signal]], list[dict[str, Any]]]:
    """What the file itself says about its uses, and a record of how each source was read."""
    c2pa_read: dict[str, Any] = {"source": "c2pa"}
    signal_sets: list[dict[Use, Signal]] = []
    try:
        manifest = read_c2pa_manifest(decoded.data, decoded.media_type, trust)
    except ManifestReadError as exc:
        # Registration goes on: the holder's declared terms still apply. The failure is kept.
        manifest = None
        c2pa_read["error"] = str(exc)
    if manifest is not None:
        c2pa_read.update(
            found=True,
            validation_state=manifest.validation_state,
            manifest=manifest.active_label,
        )
        signal_sets.append(terms_from_assertions(manifest.assertions, manifest.validation_state))
    else:
        c2pa_read.setdefault("found", False)
    xmp_signals = terms_from_xmp(decoded.xmp)
    signal_sets.append(xmp_signals)
    xmp_read = {"source": "xmp", "found": decoded.xmp is not None, "signals": len(xmp_signals)}
    return [s for s in signal_sets if s], [c2pa_read, xmp_read]


def get_work(
    session: Session, principal: Principal, work_id: int, at: datetime | None = None
) -> WorkOut:
    work = readable_work(session, principal, work_id)
    if at is None:
        version = registry.current_terms(session, work)
    elif at.tzinfo is None:
        raise InvalidInput("'at' needs a timezone, e.g. 2026-01-31T12:00:00Z")
    elif not _representable_in_utc(at):
        raise InvalidInput("'at' lies outside the years 1 to 9999 in UTC")
    else:
        found = registry.terms_at(session, work, at)
        if found is None:
            raise WorkNotFound(f"work {work_id} was not registered yet at {at.isoformat()}")
        version = found
    return work_out(session, work, version)


def _representable_in_utc(at: datetime) -> bool:
    try:
        at.astimezone(UTC)
    except OverflowError:
        return False
    return True


def list_works(session: Session, principal: Principal, limit: int, offset: int) -> WorkPage:
    require_role(principal, Role.RIGHTS_HOLDER, *READERS)
    holder = principal.holder_id if principal.role is Role.RIGHTS_HOLDER else None
    works, total = registry.list_works(session, holder, limit, offset)
    items = [work_out(session, w, registry.current_terms(session, w)) for w in works]
    return WorkPage(items=items, total=total, limit=limit, offset=offset)


def change_terms(
    session: Session, services: Services, principal: Principal, work_id: int, terms: Any
) -> WorkOut:
    require_role(principal, Role.RIGHTS_HOLDER)
    begin_write(session)
    work = _owned_work(session, principal, work_id)
    with _rights_errors():
        version, changed = registry.change_terms(session, work, terms, principal.actor)
    if not changed:
        return work_out(session, work, version)
    services.audit.record(
        session,
        f"work:{work_id}",
        principal.actor,
        TermsChanged(
            version=RecordedTermsVersion.model_validate(_version_out(version).model_dump())
        ),
    )
    touched = models_linked_to(session, work_id)
    clearance.recompute_for(session, services, touched, f"terms.changed:{work_id}", principal.actor)
    return work_out(session, work, version)


def terms_history(session: Session, principal: Principal, work_id: int) -> TermsHistory:
    work = readable_work(session, principal, work_id)
    versions = [_version_out(v) for v in registry.terms_history(session, work)]
    return TermsHistory(work_id=work_id, versions=versions)


def readable_work(session: Session, principal: Principal, work_id: int) -> Work:
    require_role(principal, Role.RIGHTS_HOLDER, *READERS)
    work = session.get(Work, work_id)
    if work is None:
        raise WorkNotFound(f"there is no work {work_id}")
    if principal.role is Role.RIGHTS_HOLDER and work.holder_id != principal.holder_id:
        raise NotWorkOwner(f"work {work_id} belongs to another rights holder")
    return work


def _owned_work(session: Session, principal: Principal, work_id: int) -> Work:
    work = readable_work(session, principal, work_id)
    if work.holder_id != principal.holder_id:
        raise NotWorkOwner(f"work {work_id} belongs to another rights holder")
    return work


def work_out(session: Session, work: Work, version: WorkTermsVersion) -> WorkOut:
    """The work as the API serves it, with its dispute and near-copy state."""
    assert work.id is not None
    rows = session.exec(
        select(WorkFingerprint)
        .where(WorkFingerprint.work_id == work.id)
        .order_by(col(WorkFingerprint.id))
    )
    prints = {
        f"{r.kind}{'' if r.orientation == 'original' else '_' + r.orientation}": hash_hex(r.value)
        for r in rows
    }
    return WorkOut(
        id=work.id,
        holder_id=work.holder_id,
        title=work.title,
        creator=work.creator,
        license=work.license,
        terms=version.effective,
        terms_version=version.version,
        terms_effective_from=version.effective_from,
        sha256=work.sha256,
        pixel_sha256=work.pixel_sha256,
        media_type=work.media_type,
        width=work.width,
        height=work.height,
        byte_size=work.byte_size,
        fingerprints=prints,
        created_at=work.created_at,
        **work_state(session, work),
    )


def _version_out(version: WorkTermsVersion) -> TermsVersionOut:
    return TermsVersionOut(
        version=version.version,
        effective_from=version.effective_from,
        terms=version.effective,
        declared=version.declared,
        embedded=version.embedded,
        changed_by=version.changed_by,
    )
