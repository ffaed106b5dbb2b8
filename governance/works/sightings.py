"""Where a registered work was seen after registration: each near copy the matcher found
in a governed call's output (the screen stage) or in a screened file (`screen_file`),
kept for the work's holder, auditors and admins (`GET /v1/works/{id}/sightings`).

A screen writes its sightings after its search, in a transaction begun then
(governance.db: no transaction is open during the search). A call's screen stage runs
before the call has a row: it hands its copies on in the call's context, and the seal
writes them once the row's id is reserved, in the call's own unit of work, so they name
the call and stand or fall with its record.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from governance.auth.service import Principal
from governance.db import begin_write
from governance.works.models import WorkSighting
from governance.works.nearcopy_schemas import (
    BoxOut,
    MatchBand,
    MatchMethod,
    NearCopyOut,
    RegionOut,
    TransformOut,
)
from governance.works.service import readable_work
from rights.models import Work


class Source(StrEnum):
    CALL = "call"  # a governed call's output, seen by its screen stage
    SCREEN = "screen"  # a file screened with POST /v1/screen (or the verify page)


class SightingRegions(BaseModel):
    """`work_sightings.regions`: where the copy lies and what was altered in it. A change
    of keys or meaning is a new version."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    transform: TransformOut | None
    altered_regions: list[RegionOut] = Field(description="in the sighted file's pixels")


class SightingOut(BaseModel):
    id: int
    work_id: int
    source: Source
    call_id: int | None = Field(description="the governed call whose output it was")
    file_sha256: str | None = Field(description="the screened file; null for a call")
    score: float
    method: MatchMethod
    band: MatchBand
    altered: bool | None = Field(description="null: the work's pixels could not be compared")
    altered_fraction: float | None
    transform: TransformOut | None
    altered_regions: list[RegionOut] = Field(description="in the sighted file's pixels")
    matched_in_work: BoxOut | None = Field(
        description="the part of the work the file shows, in the work's pixels; null where "
        "the match was not verified geometrically"
    )
    altered_in_work: list[BoxOut] = Field(
        description="the altered regions mapped into the work's pixels through the "
        "transform (boxes around them where the copy was turned)"
    )
    seen_at: datetime


class WorkSightings(BaseModel):
    work_id: int
    items: list[SightingOut] = Field(description="newest first")
    total: int
    limit: int
    offset: int


def record_screened(session: Session, file_sha256: str, copies: Sequence[NearCopyOut]) -> None:
    """A screened file's near copies, written now: the caller's search is over."""
    if not copies:
        return
    begin_write(session)
    for copy in copies:
        session.add(_row(copy, Source.SCREEN, file_sha256))
    session.flush()


def record_call_sightings(session: Session, call_id: int, copies: Sequence[NearCopyOut]) -> None:
    """A call's near copies, written by the seal with the call's row (its id now known)."""
    for copy in copies:
        session.add(_row(copy, Source.CALL, None, call_id))


def _row(
    copy: NearCopyOut, source: Source, file_sha256: str | None, call_id: int | None = None
) -> WorkSighting:
    regions = SightingRegions(transform=copy.transform, altered_regions=copy.altered_regions)
    return WorkSighting(
        work_id=copy.work_id,
        source=source.value,
        call_id=call_id,
        file_sha256=file_sha256,
        score=copy.score,
        method=copy.method.value,
        band=copy.band.value,
        altered=copy.altered,
        altered_fraction=copy.altered_fraction,
        regions=regions.model_dump(mode="json"),
    )


def work_sightings(
    session: Session, principal: Principal, work_id: int, limit: int, offset: int
) -> WorkSightings:
    """One page of the work's sightings, newest first; read as the work itself is read."""
    work = readable_work(session, principal, work_id)
    mine = col(WorkSighting.work_id) == work_id
    total = session.exec(select(func.count()).select_from(WorkSighting).where(mine)).one()
    rows = session.exec(
        select(WorkSighting)
        .where(mine)
        .order_by(col(WorkSighting.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return WorkSightings(
        work_id=work_id,
        items=[sighting_out(row, work) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def sighting_out(row: WorkSighting, work: Work) -> SightingOut:
    assert row.id is not None
    regions = SightingRegions.model_validate(row.regions)
    transform = regions.transform
    method = MatchMethod(row.method)
    matched: BoxOut | None = None
    altered_in_work: list[BoxOut] = []
    if transform is not None:
        matched = transform.query_in_work
        for region in regions.altered_regions:
            box = in_work(transform, region, (work.width, work.height))
            if box is not None:
                altered_in_work.append(box)
    elif method is MatchMethod.EXACT:
        matched = BoxOut(x=0, y=0, width=work.width, height=work.height)
    return SightingOut(
        id=row.id,
        work_id=row.work_id,
        source=Source(row.source),
        call_id=row.call_id,
        file_sha256=row.file_sha256,
        score=row.score,
        method=method,
        band=MatchBand(row.band),
        altered=row.altered,
        altered_fraction=row.altered_fraction,
        transform=transform,
        altered_regions=regions.altered_regions,
        matched_in_work=matched,
        altered_in_work=altered_in_work,
        seen_at=row.seen_at,
    )


def in_work(
    transform: TransformOut, region: RegionOut, work_size: tuple[int, int]
) -> BoxOut | None:
    """`region` (file pixels) in the work's pixels, clipped to the work; None outside it.

    The copy is the work mirrored, turned and scaled (rights.nearcopy.transform): the
    inverse is taken about the centres of the two windows the transform names, which
    correspond exactly for a copy turned by a multiple of 90 degrees and nearly for others.
    """
    angle = math.radians(transform.rotation_degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    shown, lies = transform.query_in_work, transform.work_in_query
    work_x, work_y = shown.x + shown.width / 2, shown.y + shown.height / 2
    file_x, file_y = lies.x + lies.width / 2, lies.y + lies.height / 2
    xs, ys = [], []
    for x, y in (
        (region.x, region.y),
        (region.x + region.width, region.y),
        (region.x + region.width, region.y + region.height),
        (region.x, region.y + region.height),
    ):
        dx, dy = (x - file_x) / transform.scale, (y - file_y) / transform.scale
        # Undo the turn (counterclockwise as seen, y down), then the mirror.
        turned_x, turned_y = cos * dx - sin * dy, sin * dx + cos * dy
        xs.append(work_x + (-turned_x if transform.mirrored else turned_x))
        ys.append(work_y + turned_y)
    width, height = work_size
    left, top = max(0.0, min(xs)), max(0.0, min(ys))
    right, bottom = min(float(width), max(xs)), min(float(height), max(ys))
    if right <= left or bottom <= top:
        return None
    return BoxOut(
        x=round(left, 2),
        y=round(top, 2),
        width=round(right - left, 2),
        height=round(bottom - top, 2),
    )
