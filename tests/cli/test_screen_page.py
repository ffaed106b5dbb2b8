"""A folder's screening page, from hand-made answers: boxes drawn where the regions are,
everything from files and the registry escaped, and nothing that could run."""

import base64
import re

from governance.cli.screen_page import POLICY, Screened, folder_page
from governance.detectors.schemas import SyntheticOut, SyntheticVerdict
from governance.screening.schemas import (
    MatcherVersions,
    ScreenedCopy,
    ScreenedFile,
    ScreenResult,
    WorkShown,
)
from governance.works.nearcopy_schemas import (
    BoxOut,
    MatchBand,
    MatchMethod,
    RegionOut,
    TransformOut,
)
from tests.support.helpers import encode, photo

HOSTILE = '<script>alert("x")</script>'


def _result(work: WorkShown | None) -> ScreenResult:
    copy = ScreenedCopy(
        work_id=7,
        score=0.93,
        method=MatchMethod.LOCAL_FEATURES,
        band=MatchBand.MATCH,
        inliers=120,
        transform=TransformOut(
            rotation_degrees=5.0,
            scale=1.0,
            mirrored=True,
            inverted=False,
            query_in_work=BoxOut(x=0, y=0, width=512, height=512),
            work_in_query=BoxOut(x=3.5, y=4, width=500, height=501),
            work_fraction=1.0,
            query_fraction=0.97,
        ),
        altered=True,
        altered_fraction=0.05,
        altered_regions=[RegionOut(x=101, y=202, width=33, height=44, score=0.8)],
        work=work,
    )
    return ScreenResult(
        file=ScreenedFile(
            sha256="ab" * 32,
            media_type="image/png",
            width=512,
            height=512,
            analysed_width=512,
            analysed_height=512,
        ),
        near_copies=[copy],
        synthetic=SyntheticOut(score=None, verdict=SyntheticVerdict.NO_DETECTOR, detectors=[]),
        service_output=None,
        versions=MatcherVersions(
            nearcopy_matcher=2,
            nearcopy_record_format=1,
            nearcopy_vocabulary="00" * 8,
            nearcopy_min_inliers=12,
            alterations="a/1",
        ),
    )


def test_regions_are_drawn_over_the_thumbnail_in_the_files_pixels() -> None:
    data = encode(photo("astronaut"))
    page = folder_page("folder", [Screened("a.png", _result(None), None, data)], "checked")
    (svg,) = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert 'viewBox="0 0 512 512"' in svg
    assert '<rect class="altered" x="101.0" y="202.0" width="33.0" height="44.0">' in svg
    assert '<rect class="work" x="3.5" y="4.0" width="500.0" height="501.0">' in svg
    (encoded,) = re.findall(r'href="data:image/jpeg;base64,([^"]+)"', svg)
    assert base64.b64decode(encoded)[:2] == b"\xff\xd8"  # a JPEG, inline
    assert "not shown" in page  # no work details for this answer


def test_everything_from_files_and_the_registry_is_escaped_and_nothing_can_run() -> None:
    work = WorkShown(
        title=HOSTILE, creator="<b>c</b>", holder_id=1, holder="h&h", status="registered"
    )
    files = [
        Screened(f"{HOSTILE}.png", _result(work), None, b"not an image"),
        Screened("bad.png", None, f"NotAnImage: {HOSTILE}"),
    ]
    page = folder_page(f"dir{HOSTILE}", files, f"checked {HOSTILE}")
    assert "<script" not in page.lower() and "<b>c</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "h&amp;h" in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">' in page.replace(
        "&#x27;", "'"
    )
    assert "script-src" not in POLICY and "default-src 'none'" in POLICY
    assert "No picture" in page  # an unreadable file gets no thumbnail, and no error
