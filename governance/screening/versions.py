"""Which versions of the matching algorithms answer, recorded beside every answer."""

from functools import cache

from governance.screening.schemas import MatcherVersions
from rights.alterations import ALGORITHM, VERSION
from rights.nearcopy import MATCHER_VERSION, MIN_INLIERS
from rights.nearcopy.record import FORMAT_VERSION
from rights.nearcopy.vocabulary import default_vocabulary


@cache
def matcher_versions() -> MatcherVersions:
    return MatcherVersions(
        nearcopy_matcher=MATCHER_VERSION,
        nearcopy_record_format=FORMAT_VERSION,
        nearcopy_vocabulary=default_vocabulary().id.hex(),
        nearcopy_min_inliers=MIN_INLIERS,
        alterations=f"{ALGORITHM}/{VERSION}",
    )
