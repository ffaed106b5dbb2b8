"""The pieces of a generation report, each from what was measured or read."""

from typing import cast

from governance.calls.models import ModelCall
from governance.reports.generation_schema import (
    AtCall,
    Band,
    Box,
    Dataset,
    LinkedWork,
    Method,
    NearItem,
    NearWork,
    Placement,
    Thresholds,
)
from governance.reports.generation_words import item_reading, work_reading
from governance.reports.in_force import WorkAsOf, work_url
from governance.reports.nearest import (
    LISTED_MIN_INLIERS,
    PHASH_RADIUS,
    REVIEW_MIN_INLIERS,
    Measured,
    thresholds_passes,
)
from governance.reports.nearest_items import ItemFound
from governance.settings import Settings
from rights.hash_index import CODE_BITS
from rights.nearcopy import CANDIDATES, MATCHER_VERSION, MIN_INLIERS
from rights.nearcopy.record import FORMAT_VERSION
from rights.nearcopy.transform import Box as FoundBox
from rights.nearcopy.vocabulary import default_vocabulary

PAGE_MEDIA_TYPE = "text/html; charset=utf-8"


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        matcher_version=MATCHER_VERSION,
        record_format=FORMAT_VERSION,
        vocabulary=default_vocabulary().id.hex(),
        match_min_inliers=MIN_INLIERS,
        review_min_inliers=REVIEW_MIN_INLIERS,
        listed_min_inliers=LISTED_MIN_INLIERS,
        candidates_per_pass=CANDIDATES,
        passes=thresholds_passes(),
        phash_max=settings.match_phash_max,
        dhash_max=settings.match_dhash_max,
        phash_radius=PHASH_RADIUS,
        hash_bits=CODE_BITS,
    )


def at_call(call: ModelCall) -> dict[int, AtCall]:
    """What the call's screen recorded of each work it listed (its evidence, version 2)."""
    found: dict[int, AtCall] = {}
    for stage in call.stages:
        if stage.get("name") != "screen":
            continue
        evidence = stage.get("evidence") or {}
        for copy in evidence.get("near_copies") or []:
            found[int(copy["work_id"])] = AtCall(
                method=str(copy["method"]),
                band=str(copy["band"]),
                inliers=int(copy["inliers"]),
                score=float(copy["score"]),
                decision=str(copy["decision"]),
            )
    return found


def _box(box: FoundBox) -> Box:
    return Box(x=box.x, y=box.y, width=box.width, height=box.height)


def work_out(rank: int, measured: Measured, work: WorkAsOf, screened: AtCall | None) -> NearWork:
    copy = measured.copy
    placement = None
    if copy is not None:
        t = copy.transform
        placement = Placement(
            work_in_output=_box(t.work_in_query),
            output_in_work=_box(t.query_in_work),
            rotation_degrees=t.rotation_degrees,
            scale=t.scale,
            mirrored=t.mirrored,
            inverted=t.inverted,
            work_fraction=t.work_fraction,
            output_fraction=t.query_fraction,
        )
    hashes = measured.hashes
    return NearWork(
        rank=rank,
        work_id=measured.work_id,
        work_url=work_url(measured.work_id),
        band=cast(Band, measured.band),
        method=cast(Method, measured.method),
        matching_points=measured.points,
        score=measured.score,
        same_pixels=measured.same_pixels,
        phash_distance=hashes[0] if hashes is not None else None,
        dhash_distance=hashes[1] if hashes is not None else None,
        hash_orientation=hashes[2] if hashes is not None else None,
        placement=placement,
        terms=work.terms,
        status=work.status,
        binds=work.binds,
        at_call=screened,
        reading=work_reading(measured, work.terms, screened is not None),
    )


def item_out(rank: int, found: ItemFound, works: dict[int, WorkAsOf], phash_max: int) -> NearItem:
    item, dataset = found.item, found.dataset
    assert item.id is not None
    linked = []
    for link in found.links:
        work = works.get(link.work_id)
        if work is None:  # registered after the report's moment
            continue
        linked.append(
            LinkedWork(
                work_id=link.work_id,
                work_url=work_url(link.work_id),
                match=link.match,
                distance=link.distance,
                terms=work.terms,
                status=work.status,
                binds=work.binds,
            )
        )
    same = found.distance <= phash_max
    return NearItem(
        rank=rank,
        item_id=item.id,
        dataset=Dataset(
            position=dataset.position,
            name=dataset.name,
            declared_license=dataset.declared_license,
            concluded_license=dataset.concluded_license,
            legal_basis=dataset.legal_basis,
            acquired_at=dataset.acquired_at,
        ),
        position=item.position,
        sha256=item.sha256,
        source=item.source,
        phash_distance=found.distance,
        orientation=found.orientation,
        band="same_picture" if same else "not_close",
        linked_works=linked,
        reading=item_reading(found.distance, phash_max, linked),
    )
