"""Near-copy matching: is an image a (turned, flipped, cropped, re-encoded, bordered,
inverted...) copy of a registered work, and by what transform?

Registration: `describe_work(image)` gives a `WorkRecord` (ORB keypoints spread over a
grid, their descriptors and visual words) to store as bytes (`to_bytes`, 20 KB a work)
and to index (`NearCopyIndex.add`); `record.postings()` is the part the index keeps (4 KB
a work as bytes), for rebuilding it at start-up (`add_postings`) without the records.

Search: `NearCopyIndex.search(image, load)` votes in the word index for candidate works,
asks `load` for their records, verifies each geometrically (one-to-one matches, RANSAC,
plausibility) and returns `NearCopy` matches, best first, each with its inliers, a score
and the `Transform` (turn, scale, mirror, inversion, crop windows) and the query -> work
homography. The global hashes (rights.hash_index) stay the fast path for near-exact
copies; their hits can be passed as `also` to be verified and given a transform.
"""

from rights.nearcopy.features import Variant
from rights.nearcopy.record import InvalidRecordError, Postings, WorkRecord
from rights.nearcopy.search import (
    CANDIDATES,
    MATCHER_VERSION,
    NearCopy,
    NearCopyIndex,
    RecordLoader,
    describe_work,
)
from rights.nearcopy.transform import Box, Transform
from rights.nearcopy.verify import MIN_INLIERS

__all__ = [
    "CANDIDATES",
    "MATCHER_VERSION",
    "MIN_INLIERS",
    "Box",
    "InvalidRecordError",
    "NearCopy",
    "NearCopyIndex",
    "Postings",
    "RecordLoader",
    "Transform",
    "Variant",
    "WorkRecord",
    "describe_work",
]
