"""Finding a file's XMP packet."""

from PIL import Image

_START, _END = b"<x:xmpmeta", b"</x:xmpmeta>"
_TIFF_XMP_TAG = 700
MAX_XMP_BYTES = 4 * 1024 * 1024


def xmp_packet(image: Image.Image, data: bytes) -> str | None:
    """The XMP packet as text: from the container where Pillow knows it, else by packet scan."""
    raw: bytes | str | None = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if raw is None and hasattr(image, "tag_v2"):
        raw = image.tag_v2.get(_TIFF_XMP_TAG)
    if raw is None:
        # XMP's own packet-scanning rule: any format may carry it unwrapped.
        # Two finds, not a regex: linear even on files full of start tags.
        start = data.find(_START)
        end = data.find(_END, start) if start >= 0 else -1
        raw = data[start : end + len(_END)] if end >= 0 else None
    if raw is None:
        return None
    if isinstance(raw, bytes):
        if len(raw) > MAX_XMP_BYTES:
            return None
        raw = raw.decode("utf-8", errors="replace")
    return raw[:MAX_XMP_BYTES]
