"""Reading an uploaded file without ever holding more than the limit in memory."""

from fastapi import UploadFile

from governance.errors import FileTooLarge
from governance.settings import Settings


def read_upload(file: UploadFile, settings: Settings) -> bytes:
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(
            f"the file is larger than the limit of {settings.max_upload_bytes} bytes"
        )
    return data
