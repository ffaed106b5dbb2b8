"""One error base class: a stable code, an HTTP status, a human sentence.

Services raise these; a single handler in the app turns them into
`{"error": code, "detail": sentence}`. Anything else reaching the client is a bug.
"""

from typing import ClassVar


def error_body(code: str, detail: str) -> dict[str, str]:
    """The body of every error answer."""
    return {"error": code, "detail": detail}


class GovernError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "BadRequest"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(GovernError):
    status = 422
    code = "InvalidInput"


class InvalidLicense(InvalidInput):
    code = "InvalidLicense"


class InvalidTerms(InvalidInput):
    code = "InvalidTerms"


class InvalidMetadata(InvalidInput):
    code = "InvalidMetadata"


class CorruptImage(InvalidInput):
    code = "CorruptImage"


class NotAnImage(GovernError):
    status = 415
    code = "NotAnImage"


class UnsupportedImageFormat(GovernError):
    status = 415
    code = "UnsupportedImageFormat"


class FileTooLarge(GovernError):
    status = 413
    code = "FileTooLarge"


class ImageTooLarge(GovernError):
    status = 413
    code = "ImageTooLarge"


class MissingApiKey(GovernError):
    status = 401
    code = "MissingApiKey"


class InvalidApiKey(GovernError):
    status = 401
    code = "InvalidApiKey"


class SignInRequired(GovernError):
    """A web page without a live session: the pages send the browser to sign in."""

    status = 401
    code = "SignInRequired"


class FormTokenRefused(GovernError):
    """A web page's post without its session's form token (CSRF)."""

    status = 403
    code = "FormTokenRefused"


class Forbidden(GovernError):
    status = 403
    code = "Forbidden"


class NotWorkOwner(Forbidden):
    code = "NotWorkOwner"


class NotFound(GovernError):
    status = 404
    code = "NotFound"


class WorkNotFound(NotFound):
    code = "WorkNotFound"


class EntryNotFound(NotFound):
    code = "EntryNotFound"


class TreeSizeNotFound(NotFound):
    code = "TreeSizeNotFound"


class Conflict(GovernError):
    status = 409
    code = "Conflict"


class DuplicateWork(Conflict):
    code = "DuplicateWork"

    def __init__(self, existing_work_id: int) -> None:
        super().__init__(f"These pixels are already registered as work {existing_work_id}.")
        self.existing_work_id = existing_work_id


class InvalidAdapter(InvalidInput):
    code = "InvalidAdapter"


class InvalidManifest(InvalidInput):
    code = "InvalidManifest"


class ModelLoadFailed(InvalidInput):
    code = "ModelLoadFailed"


class WeightsMismatch(InvalidInput):
    code = "WeightsMismatch"


class ModelNotFound(NotFound):
    code = "ModelNotFound"


class DuplicateModel(Conflict):
    code = "DuplicateModel"


class WrongModelKind(InvalidInput):
    code = "WrongModelKind"


class InvalidMask(InvalidInput):
    code = "InvalidMask"


class InputTooLarge(GovernError):
    status = 413
    code = "InputTooLarge"


class CallNotFound(NotFound):
    code = "CallNotFound"


class NoOutput(NotFound):
    code = "NoOutput"


class ManifestNotFound(NotFound):
    code = "ManifestNotFound"


class UnknownBindingAlgorithm(InvalidInput):
    code = "UnknownBindingAlgorithm"


class DuplicateHolder(Conflict):
    code = "DuplicateHolder"


class HolderNotFound(NotFound):
    code = "HolderNotFound"


class NotTwins(InvalidInput):
    code = "NotTwins"


class TwinAlreadyReleased(Conflict):
    code = "TwinAlreadyReleased"


class ImageTooFlat(InvalidInput):
    """A picture whose perceptual hash carries too little to tell it from others like it."""

    code = "ImageTooFlat"


class DuplicatePicture(DuplicateWork):
    """Another encoding of a picture the same holder registered: still `DuplicateWork`."""

    def __init__(self, existing_work_id: int, phash_distance: int, dhash_distance: int) -> None:
        GovernError.__init__(
            self,
            f"This picture is already registered as work {existing_work_id}, in another "
            f"encoding (perceptual hashes {phash_distance} and {dhash_distance} bits apart).",
        )
        self.existing_work_id = existing_work_id


class ModelAlreadyRetired(Conflict):
    code = "ModelAlreadyRetired"


BUSY = "the database was busy and nothing was kept; retry after the time in Retry-After"


class DatabaseBusy(GovernError):
    """The database's lock or a connection was not had in time: retry; nothing was kept."""

    status = 503
    code = "DatabaseBusy"
    # Seconds; sent as Retry-After.
    retry_after: ClassVar[int] = 1


class DuplicateNearCopy(DuplicatePicture):
    """A near-copy (turned, cropped, bordered...) of a picture the same holder registered,
    found by its verified local features: still `DuplicateWork`."""

    def __init__(self, existing_work_id: int, method: str, inliers: int) -> None:
        GovernError.__init__(
            self,
            f"This picture is already registered as work {existing_work_id}, in another "
            f"encoding or a near copy of it ({method.replace('_', ' ')}, {inliers} matching "
            "points verified).",
        )
        self.existing_work_id = existing_work_id


class DisputeNotOpen(Conflict):
    """The work is not in dispute, or its dispute was resolved already."""

    code = "DisputeNotOpen"
