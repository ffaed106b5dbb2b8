"""Perceptual matching on real photographs, and the index's bookkeeping."""

import itertools

import imagehash
import pytest
from PIL import ImageOps
from sqlmodel import Session

from governance.db import make_engine
from rights.fingerprints import (
    HashKind,
    Orientation,
    fingerprint,
    hamming,
    hash_hex,
    pixel_sha256,
)
from rights.match_index import MatchIndex
from rights.models import RightsHolder, Work, WorkFingerprint
from tests.support.helpers import PHOTOS, encode, np_image, photo

LIMIT = 12


def _reload(data: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data))


def test_pixel_digest_ignores_the_container_but_not_the_pixels() -> None:
    image = photo("coffee")
    assert pixel_sha256(_reload(encode(image, "PNG"))) == pixel_sha256(
        _reload(encode(image, "TIFF")).convert("RGB")
    )
    changed = image.copy()
    changed.putpixel((0, 0), (0, 0, 0))
    assert pixel_sha256(changed) != pixel_sha256(image)


def test_reencodes_and_resizes_stay_close_unrelated_photographs_stay_far() -> None:
    prints = {name: fingerprint(photo(name)) for name in PHOTOS}
    for name in PHOTOS:
        image = photo(name)
        for variant in (
            _reload(encode(image, "JPEG", quality=50)),
            image.resize((image.width // 2, image.height // 2)),
        ):
            query = fingerprint(variant)
            for kind in HashKind:
                assert (
                    hamming(
                        query.get(kind, Orientation.ORIGINAL),
                        prints[name].get(kind, Orientation.ORIGINAL),
                    )
                    <= LIMIT
                ), name
    # 'chelsea' is not in PHOTOS twice; skimage's 'cat' is the same photograph.
    for a, b in itertools.combinations(PHOTOS, 2):
        p = hamming(
            prints[a].get(HashKind.PHASH, Orientation.ORIGINAL),
            prints[b].get(HashKind.PHASH, Orientation.ORIGINAL),
        )
        d = hamming(
            prints[a].get(HashKind.DHASH, Orientation.ORIGINAL),
            prints[b].get(HashKind.DHASH, Orientation.ORIGINAL),
        )
        assert p > LIMIT or d > LIMIT, (a, b)


def _imagehash(image, kind: HashKind) -> str:
    function = imagehash.phash if kind is HashKind.PHASH else imagehash.dhash
    return str(function(image.convert("L")))


@pytest.mark.parametrize("name", PHOTOS)
def test_hashes_are_imagehash_of_the_image_and_of_its_mirror(name: str) -> None:
    image = photo(name)
    prints = fingerprint(image)
    for kind in HashKind:
        assert hash_hex(prints.get(kind, Orientation.ORIGINAL)) == _imagehash(image, kind)
        mirrored = _imagehash(ImageOps.mirror(image), kind)
        assert hash_hex(prints.get(kind, Orientation.MIRRORED)) == mirrored


def _add_work(session: Session, holder_id: int, seed: int, fp_ids: list[int] | None = None) -> int:
    image = np_image(seed)
    prints = fingerprint(image)
    work = Work(
        holder_id=holder_id,
        title=str(seed),
        creator="c",
        license="MIT",
        sha256=str(seed),
        pixel_sha256=prints.pixel_sha256,
        media_type="image/png",
        width=64,
        height=64,
        byte_size=1,
    )
    session.add(work)
    session.flush()
    for i, h in enumerate(prints.hashes):
        row = WorkFingerprint(
            work_id=work.id, kind=h.kind.value, orientation=h.orientation.value, value=h.value
        )
        if fp_ids is not None:
            row.id = fp_ids[i]
        session.add(row)
    session.flush()
    return work.id


def test_index_catches_rows_that_commit_out_of_id_order(tmp_path) -> None:
    from governance.db import migrate

    url = f"sqlite:///{tmp_path / 'index.db'}"
    migrate(url)
    engine = make_engine(url)
    index = MatchIndex()
    with Session(engine) as session:
        holder = RightsHolder(name="h")
        session.add(holder)
        session.commit()
        # Ids 5-8 committed first; 1-4 later (as PostgreSQL allows between transactions).
        late = _add_work(session, holder.id, seed=2, fp_ids=[5, 6, 7, 8])
        session.commit()
        index.refresh(session)
        assert len(index) == 2
        early = _add_work(session, holder.id, seed=1, fp_ids=[1, 2, 3, 4])
        session.commit()
        index.refresh(session)
        assert len(index) == 4
        for work_id, seed in ((late, 2), (early, 1)):
            found = index.search(fingerprint(np_image(seed)), LIMIT, LIMIT)
            assert found[0].work_id == work_id and found[0].distance == 0
    engine.dispose()
