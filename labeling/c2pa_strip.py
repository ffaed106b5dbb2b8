"""A file without its C2PA manifest store, for a parent whose store cannot be read: the
restoration is still labelled, naming the parent's bytes less the damaged store."""

import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_APP11 = 0xEB


def without_c2pa(data: bytes, media_type: str) -> bytes | None:
    """`data` less its C2PA chunks (PNG `caBX`, JPEG APP11 segments); None when the format
    is another or the file holds none."""
    if media_type == "image/png":
        stripped = _png(data)
    elif media_type == "image/jpeg":
        stripped = _jpeg(data)
    else:
        return None
    return stripped if stripped is not None and stripped != data else None


def _png(data: bytes) -> bytes | None:
    if not data.startswith(_PNG_SIGNATURE):
        return None
    out, at = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        end = at + 12 + length
        if end > len(data):
            return None
        if data[at + 4 : at + 8] != b"caBX":
            out.append(data[at:end])
        at = end
    return b"".join(out)


def _jpeg(data: bytes) -> bytes | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    out, at = [data[:2]], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if marker != _JPEG_APP11:
            out.append(data[at:end])
        at = end
    out.append(data[at:])
    return b"".join(out)
