"""A file without its C2PA manifest store, for a parent whose store cannot be read: the
restoration is still labelled, naming the parent's bytes less the damaged store."""

from labeling.containers import JPEG_SOI, PNG_SIGNATURE, jpeg_segments, png_chunks

_APP11 = 0xEB  # JPEG's C2PA segments (JUMBF)


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
    try:
        kept = [data[start:end] for kind, start, end in png_chunks(data) if kind != b"caBX"]
    except ValueError:
        return None
    return PNG_SIGNATURE + b"".join(kept)


def _jpeg(data: bytes) -> bytes | None:
    try:
        kept = [data[start:end] for marker, start, end in jpeg_segments(data) if marker != _APP11]
    except ValueError:
        return None
    return JPEG_SOI + b"".join(kept)
