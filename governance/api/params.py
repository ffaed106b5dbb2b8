"""Parsing helpers shared by the endpoints: uploads and identifiers."""

from typing import Annotated

from fastapi import File, Path, UploadFile

from governance.errors import FileTooLarge, InvalidInput
from governance.settings import Settings

# Row ids are 32-bit on PostgreSQL; larger numbers cannot name anything.
MAX_ID = 2**31 - 1
# Audit indexes and sizes are 64-bit; this bound keeps every sum of two in range.
MAX_INDEX = 2**62
WorkId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A list, so that a second part is refused rather than silently dropped for the last.
OneFile = Annotated[list[UploadFile], File(min_length=1, max_length=1, description="one file")]
# Model names are never digits alone (those are ids): at least one other character.
NOT_DIGITS_ALONE = r"^[\s\S]*\D[\s\S]*$"


def one_part(values: list[str] | None, field: str) -> str | None:
    """The one text part named `field` of a form, or None; a second one is refused, not
    silently dropped in favour of the last."""
    if not values:
        return None
    if len(values) != 1:
        raise InvalidInput(f"send exactly one '{field}' part, not {len(values)}")
    return values[0]


def read_upload(files: list[UploadFile], settings: Settings, field: str = "file") -> bytes:
    """The one uploaded file, read without ever holding more than the limit in memory."""
    if len(files) != 1:
        raise InvalidInput(f"send exactly one file in '{field}', not {len(files)}")
    data = files[0].file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(
            f"the file is larger than the limit of {settings.max_upload_bytes} bytes"
        )
    return data
