"""Walking PNG chunks and JPEG marker segments, for the edits labels need without
re-encoding pixels (inserting XMP, leaving out a damaged C2PA store)."""

import struct
import zlib
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
JPEG_SOS = 0xDA


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunks(png: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk up to and including IEND; ValueError if truncated."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    position = len(PNG_SIGNATURE)
    while True:
        if position + 12 > len(png):
            raise ValueError("truncated PNG: no IEND chunk")
        (length,) = struct.unpack_from(">I", png, position)
        kind = png[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(png):
            raise ValueError(f"truncated PNG chunk {kind!r}")
        yield kind, position, end
        if kind == b"IEND":
            return
        position = end


def jpeg_segments(jpeg: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each marker segment after SOI; the start-of-scan segment
    comes last and ends at the end of the file (the rest is entropy-coded data).
    Fill bytes are skipped; markers without a length span their two bytes."""
    if not jpeg.startswith(JPEG_SOI):
        raise ValueError("not a JPEG file")
    position = len(JPEG_SOI)
    while True:
        if position + 4 > len(jpeg) or jpeg[position] != 0xFF:
            raise ValueError("malformed JPEG marker segments")
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            raise ValueError("JPEG ends before its image data")
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            yield marker, position, position + 2
            position += 2
            continue
        if marker == JPEG_SOS:
            yield marker, position, len(jpeg)
            return
        (length,) = struct.unpack_from(">H", jpeg, position + 2)
        end = position + 2 + length
        if end > len(jpeg):
            raise ValueError("truncated JPEG segment")
        yield marker, position, end
        position = end
