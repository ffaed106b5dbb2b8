"""Why a detector cannot be calibrated: each a clear sentence with a stable code."""

from governance.errors import Conflict, InvalidInput


class NotADetector(InvalidInput):
    code = "NotADetector"


class TooFewImages(InvalidInput):
    code = "TooFewImages"


class UnreadableImage(InvalidInput):
    code = "UnreadableImage"


class DetectorNotUsable(Conflict):
    """Retired, or not cleared: a model that may not run is not run to calibrate it."""

    code = "DetectorNotUsable"


class DetectorFailed(InvalidInput):
    """The detector gave no score on a calibration image (it raised, timed out, or its
    weights are not the registered ones)."""

    code = "DetectorFailed"
