"""Registering works, changing their terms and reading them back. Flushes, never commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from rights.clearance import WorkTerms
from rights.disputes import binds
from rights.errors import DuplicateWorkError
from rights.fingerprints import Fingerprints, HashKind, Orientation, hamming, is_flat_hash
from rights.licenses import normalise_license
from rights.models import (
    RightsHolder,
    Work,
    WorkFingerprint,
    WorkName,
    WorkTermsVersion,
    utcnow,
)
from rights.names import NameMatch, form_with_key, prompt_keys, stored_keys
from rights.terms import Signal, Use, combine, parse_declared_terms


@dataclass(frozen=True)
class NewWork:
    holder_id: int
    title: str
    creator: str
    license: str
    sha256: str
    media_type: str
    width: int
    height: int
    byte_size: int
    fingerprints: Fingerprints
    declared_terms: Any
    # Signals read from the file itself, one set per source, and how each source was read.
    embedded_signals: Sequence[dict[Use, Signal]]
    embedded_reads: Sequence[dict[str, Any]]
    changed_by: str


def holder_by_name(session: Session, name: str, create: bool = True) -> RightsHolder | None:
    holder = session.exec(select(RightsHolder).where(RightsHolder.name == name)).first()
    if holder is None and create:
        holder = RightsHolder(name=name)
        session.add(holder)
        session.flush()
    return holder


def work_by_pixels(session: Session, pixel_sha256: str) -> Work | None:
    return session.exec(select(Work).where(Work.pixel_sha256 == pixel_sha256)).first()


def works_of_holder(session: Session, holder_id: int, work_ids: set[int]) -> set[int]:
    """Those of `work_ids` that belong to the holder."""
    if not work_ids:
        return set()
    query = select(Work.id).where(Work.holder_id == holder_id, col(Work.id).in_(work_ids))
    return {work_id for work_id in session.exec(query) if work_id is not None}


def flat_works(session: Session, work_ids: set[int]) -> set[int]:
    """Those of `work_ids` with a flat pHash: registered before flat pictures were refused."""
    if not work_ids:
        return set()
    query = select(WorkFingerprint.work_id, WorkFingerprint.value).where(
        WorkFingerprint.kind == HashKind.PHASH.value, col(WorkFingerprint.work_id).in_(work_ids)
    )
    return {work_id for work_id, value in session.exec(query) if is_flat_hash(value)}


def register_work(session: Session, new: NewWork) -> tuple[Work, WorkTermsVersion]:
    """Validate and store a work with its first terms version and fingerprints."""
    license_expr = normalise_license(new.license)
    declared = parse_declared_terms(new.declared_terms)
    existing = work_by_pixels(session, new.fingerprints.pixel_sha256)
    if existing is not None and existing.id is not None:
        raise DuplicateWorkError(existing.id)
    work = Work(
        holder_id=new.holder_id,
        title=new.title,
        creator=new.creator,
        license=license_expr,
        sha256=new.sha256,
        pixel_sha256=new.fingerprints.pixel_sha256,
        media_type=new.media_type,
        width=new.width,
        height=new.height,
        byte_size=new.byte_size,
    )
    try:
        # A savepoint, so that losing a race on the unique pixels leaves the session usable.
        with session.begin_nested():
            session.add(work)
            session.flush()
    except IntegrityError:
        winner = work_by_pixels(session, new.fingerprints.pixel_sha256)
        if winner is None or winner.id is None:
            raise
        raise DuplicateWorkError(winner.id) from None
    assert work.id is not None
    for h in new.fingerprints.hashes:
        session.add(
            WorkFingerprint(
                work_id=work.id, kind=h.kind.value, orientation=h.orientation.value, value=h.value
            )
        )
    for kind, key in stored_keys(new.title, new.creator):
        session.add(WorkName(work_id=work.id, kind=kind, key=key))
    version = WorkTermsVersion(
        work_id=work.id,
        version=1,
        # In force from the moment the work exists, so `at` = its creation time finds it.
        effective_from=work.created_at,
        declared={u.value: s.to_json() for u, s in declared.items()},
        embedded={
            "reads": list(new.embedded_reads),
            "signals": [
                {u.value: s.to_json() for u, s in sig.items()} for sig in new.embedded_signals
            ],
        },
        effective=combine([declared, *new.embedded_signals]),
        changed_by=new.changed_by,
    )
    session.add(version)
    session.flush()
    return work, version


def change_terms(
    session: Session, work: Work, raw_terms: Any, changed_by: str
) -> tuple[WorkTermsVersion, bool]:
    """A new terms version: the declared terms are replaced, what the file says still counts.

    Terms equal to those declared now change nothing: the current version comes back,
    with False."""
    declared = parse_declared_terms(raw_terms)
    # Concurrent changes to one work queue here (a row lock on PostgreSQL; SQLite
    # transactions are serial already) instead of racing for the same version number.
    session.exec(select(Work.id).where(Work.id == work.id).with_for_update()).one()
    current = current_terms(session, work)
    declared_json = {u.value: s.to_json() for u, s in declared.items()}
    if declared_json == current.declared:
        return current, False
    embedded = _signals_from_evidence(current.embedded)
    version = WorkTermsVersion(
        work_id=current.work_id,
        version=current.version + 1,
        # Never earlier than the version it follows, even if the clock stepped back.
        effective_from=max(utcnow(), current.effective_from),
        declared=declared_json,
        embedded=current.embedded,
        effective=combine([declared, *embedded]),
        changed_by=changed_by,
    )
    session.add(version)
    session.flush()
    return version, True


def _signals_from_evidence(embedded: dict[str, Any]) -> list[dict[Use, Signal]]:
    """The file-borne signals kept in a version's evidence, back as signals."""
    return [
        {Use(use): Signal.from_json(spec) for use, spec in signal_set.items()}
        for signal_set in embedded.get("signals", [])
    ]


def current_terms(session: Session, work: Work) -> WorkTermsVersion:
    query = (
        select(WorkTermsVersion)
        .where(WorkTermsVersion.work_id == work.id)
        .order_by(col(WorkTermsVersion.version).desc())
    )
    version = session.exec(query).first()
    assert version is not None, "every work is registered with a first terms version"
    return version


def terms_at(session: Session, work: Work, at: datetime) -> WorkTermsVersion | None:
    """The terms in force at `at`, or None when the work was not yet registered then."""
    if at < work.created_at:
        return None
    query = (
        select(WorkTermsVersion)
        .where(WorkTermsVersion.work_id == work.id, col(WorkTermsVersion.effective_from) <= at)
        .order_by(col(WorkTermsVersion.version).desc())
    )
    # Works registered before version 1 took the work's creation time have it a moment
    # later: from creation until then, version 1 is what was in force.
    return session.exec(query).first() or first_terms(session, work)


def first_terms(session: Session, work: Work) -> WorkTermsVersion:
    query = select(WorkTermsVersion).where(
        WorkTermsVersion.work_id == work.id, WorkTermsVersion.version == 1
    )
    return session.exec(query).one()


def terms_history(session: Session, work: Work) -> list[WorkTermsVersion]:
    query = (
        select(WorkTermsVersion)
        .where(WorkTermsVersion.work_id == work.id)
        .order_by(col(WorkTermsVersion.version))
    )
    return list(session.exec(query))


def list_works(
    session: Session, holder_id: int | None, limit: int, offset: int
) -> tuple[list[Work], int]:
    query = select(Work)
    count = select(func.count()).select_from(Work)
    if holder_id is not None:
        query = query.where(Work.holder_id == holder_id)
        count = count.where(Work.holder_id == holder_id)
    works = list(session.exec(query.order_by(col(Work.id)).offset(offset).limit(limit)))
    return works, session.exec(count).one()


KEYS_PER_QUERY = 5000


def works_named_in(session: Session, prompt: str) -> list[tuple[Work, NameMatch]]:
    """Works whose title or creator the prompt names, with the form of the name it uses."""
    keys = prompt_keys(prompt)
    candidates = sorted(keys)
    rows: list[tuple[Work, str, str, int | None]] = []
    # In slices: a prompt read several ways offers thousands of keys, and databases cap
    # the parameters of one statement.
    for start in range(0, len(candidates), KEYS_PER_QUERY):
        rows += session.exec(
            select(Work, WorkName.kind, WorkName.key, WorkName.id)
            .join(WorkName, col(WorkName.work_id) == col(Work.id))
            .where(col(WorkName.key).in_(candidates[start : start + KEYS_PER_QUERY]))
        ).all()
    found = []
    for work, kind, key, _ in sorted(rows, key=lambda row: (row[0].id, row[3])):
        form = form_with_key(work.title if kind == "title" else work.creator, kind, key)
        if form is not None:
            found.append((work, NameMatch(kind, form, keys[key])))
    return found


def work_terms(session: Session, work_ids: set[int]) -> dict[int, WorkTerms]:
    """The terms in force now for each work, read in two statements whatever their number,
    and whether they bind anyone (rights.disputes)."""
    if not work_ids:
        return {}
    works = {w.id: w for w in session.exec(select(Work).where(col(Work.id).in_(work_ids)))}
    versions: dict[int, WorkTermsVersion] = {}
    for version in session.exec(
        select(WorkTermsVersion)
        .where(col(WorkTermsVersion.work_id).in_(work_ids))
        .order_by(col(WorkTermsVersion.version))
    ):
        versions[version.work_id] = version
    return {
        work_id: WorkTerms(
            work_id=work_id,
            title=work.title,
            creator=work.creator,
            license=work.license,
            terms_version=versions[work_id].version,
            terms=versions[work_id].effective,
            binds=binds(work.status),
        )
        for work_id, work in works.items()
        if work_id is not None
    }


def closest_hashes(
    session: Session, prints: Fingerprints, work_ids: set[int]
) -> dict[int, tuple[int, int, str]]:
    """Per work, the (pHash, dHash) distances from `prints` to its stored hashes in the
    closer orientation, and that orientation; works without hashes are left out."""
    if not work_ids:
        return {}
    stored: dict[tuple[int, str, str], int] = {}
    query = select(
        WorkFingerprint.work_id,
        WorkFingerprint.kind,
        WorkFingerprint.orientation,
        WorkFingerprint.value,
    ).where(col(WorkFingerprint.work_id).in_(work_ids))
    for work_id, kind, orientation, value in session.exec(query):
        stored[(work_id, kind, orientation)] = value
    query_phash = prints.get(HashKind.PHASH, Orientation.ORIGINAL)
    query_dhash = prints.get(HashKind.DHASH, Orientation.ORIGINAL)
    found: dict[int, tuple[int, int, str]] = {}
    for work_id in work_ids:
        for orientation in Orientation:
            phash = stored.get((work_id, HashKind.PHASH.value, orientation.value))
            dhash = stored.get((work_id, HashKind.DHASH.value, orientation.value))
            if phash is None or dhash is None:
                continue
            p, d = hamming(phash, query_phash), hamming(dhash, query_dhash)
            if work_id not in found or p + d < sum(found[work_id][:2]):
                found[work_id] = (p, d, orientation.value)
    return found
