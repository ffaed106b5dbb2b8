"""The rights holder's pages: their works (auditors and admins: every work), each with
its terms in force, history, dispute and where it was seen; what `GET /v1/works`, its
terms history and sightings answer, under the same rules."""

import io
from dataclasses import dataclass, field

from PIL import Image, ImageOps
from sqlmodel import Session, select

from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.errors import GovernError, WorkNotFound
from governance.pages.works_forms import Refused, TermsFields
from governance.pages.works_words import (
    USE_LABELS,
    VALUE_LABELS,
    sighting_words,
    status_words,
    value_words,
)
from governance.services import Services
from governance.works import service, sightings
from governance.works.schemas import TermsVersionOut, WorkOut
from governance.works.sightings import SightingOut
from rights.models import WorkNearCopy
from rights.terms import TermValue, Use

THUMBNAIL_SIDE = 480
SIGHTINGS_SHOWN = 50


@dataclass(frozen=True)
class TermShown:
    use: str
    label: str
    value: TermValue
    words: str
    sources: list[str] = field(default_factory=list)  # who said it: declared, c2pa, xmp


@dataclass(frozen=True)
class WorkCard:
    work: WorkOut
    terms: list[TermShown]
    status: str  # in words

    @property
    def link(self) -> str:
        return f"/ui/works/{self.work.id}"

    @property
    def thumbnail(self) -> str:
        return f"/ui/works/{self.work.id}/thumbnail"


@dataclass(frozen=True)
class WorksListing:
    cards: list[WorkCard]
    total: int
    offset: int
    limit: int
    may_register: bool

    @property
    def previous(self) -> str | None:
        if self.offset == 0:
            return None
        return f"/ui/works?offset={max(0, self.offset - self.limit)}"

    @property
    def next(self) -> str | None:
        if self.offset + self.limit >= self.total:
            return None
        return f"/ui/works?offset={self.offset + self.limit}"


@dataclass(frozen=True)
class VersionShown:
    version: TermsVersionOut
    terms: list[TermShown]
    changes: list[str]  # "use: before → after", against the version before it


@dataclass(frozen=True)
class SightingShown:
    sighting: SightingOut
    words: str  # the drawing's text alternative


@dataclass(frozen=True)
class WorkDetail:
    card: WorkCard
    history: list[VersionShown]  # newest first
    sightings: list[SightingShown]
    sightings_total: int
    may_change: bool
    form: TermsFields
    uses: list[tuple[str, str]]  # (use, label), in the form's order
    values: list[tuple[str, str]]  # (value, label)
    refused: Refused | None = None


@dataclass(frozen=True)
class TermsChanged:
    version: int
    changed: bool  # False: the terms sent were those declared already


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    media_type: str


def works_listing(
    session: Session, services: Services, principal: Principal, limit: int, offset: int
) -> WorksListing:
    page = service.list_works(
        session, principal, min(limit, services.settings.page_size_max), offset
    )
    return WorksListing(
        cards=[card(w) for w in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        may_register=principal.role is Role.RIGHTS_HOLDER,
    )


def card(work: WorkOut) -> WorkCard:
    return WorkCard(work, terms_shown(work.terms), status_words(work.status))


def terms_shown(terms: dict[str, object]) -> list[TermShown]:
    shown = []
    for use in Use:
        term = terms.get(use.value)
        value, words = value_words(term if isinstance(term, dict | str) else None)
        sources = term.get("sources", []) if isinstance(term, dict) else []
        named = [str(s.get("source")) for s in sources if isinstance(s, dict)]
        shown.append(TermShown(use.value, USE_LABELS[use], value, words, named))
    return shown


def work_detail(
    session: Session,
    services: Services,
    principal: Principal,
    work_id: int,
    form: TermsFields | None = None,
    refused: Refused | None = None,
) -> WorkDetail:
    """The work's page; `form` and `refused` are a terms change the API refused."""
    work = service.get_work(session, principal, work_id)
    history = service.terms_history(session, principal, work_id).versions
    seen = sightings.work_sightings(session, principal, work_id, SIGHTINGS_SHOWN, 0)
    current = next((v for v in history if v.version == work.terms_version), None)
    return WorkDetail(
        card=card(work),
        history=versions_shown(history),
        sightings=[SightingShown(s, sighting_words(s)) for s in seen.items],
        sightings_total=seen.total,
        may_change=principal.role is Role.RIGHTS_HOLDER and work.holder_id == principal.holder_id,
        form=form or TermsFields.declared(current.declared if current else {}),
        uses=[(u.value, USE_LABELS[u]) for u in Use],
        values=[(v.value, VALUE_LABELS[v]) for v in TermValue],
        refused=refused,
    )


def versions_shown(history: list[TermsVersionOut]) -> list[VersionShown]:
    """Each version with what it changed, newest first."""
    shown: list[VersionShown] = []
    before: list[TermShown] | None = None
    for version in history:
        terms = terms_shown(version.terms)
        changes = []
        if before is not None:
            changes = [
                f"{new.label}: {old.words} → {new.words}"
                for old, new in zip(before, terms, strict=True)
                if old.words != new.words
            ]
        shown.append(VersionShown(version, terms, changes))
        before = terms
    return shown[::-1]


def change_terms(
    session: Session,
    services: Services,
    principal: Principal,
    work_id: int,
    fields: TermsFields,
) -> TermsChanged | WorkDetail:
    """The terms changed as `PUT /v1/works/{id}/terms` changes them; else the work's page
    again, with the API's refusal and the values sent."""
    require_role(principal, Role.RIGHTS_HOLDER)
    before = service.get_work(session, principal, work_id).terms_version
    try:
        work = service.change_terms(session, services, principal, work_id, fields.terms())
    except GovernError as exc:
        # The API's refusal rolls the request back as it raises; here the page goes on.
        session.rollback()
        return work_detail(session, services, principal, work_id, fields, Refused.of(exc))
    return TermsChanged(work.terms_version, work.terms_version != before)


def thumbnail(
    session: Session, services: Services, principal: Principal, work_id: int
) -> Thumbnail:
    """A small JPEG of the work, for the keys that may read it (`GET /v1/works/{id}`):
    from its reduced copy where it has one (at most 512 px), else from its file."""
    work = service.readable_work(session, principal, work_id)
    reduced = session.exec(
        select(WorkNearCopy.analysis_sha256).where(WorkNearCopy.work_id == work_id)
    ).first()
    try:
        data = services.blobs.get(reduced or work.sha256)
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except OSError:
        # A data dir copied without its files: the work's record stands without a picture.
        raise WorkNotFound(f"the file of work {work_id} is not in the blob store") from None
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return Thumbnail(buffer.getvalue(), "image/jpeg")
