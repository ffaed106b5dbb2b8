"""Implicit (metadata) labels: the GB 45438-2025 `TC260:AIGC` property and IPTC's
DigitalSourceType, written into and read from a file's XMP packet.
"""

import json
import re
import struct
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element  # for the type only: parsing goes through defusedxml
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from PIL import Image

from labeling.containers import JPEG_SOI, PNG_SIGNATURE, jpeg_segments, png_chunk, png_chunks
from labeling.xmp import xmp_packet

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
LABEL_VALUES = ("1", "2", "3")  # AI-generated, possibly, suspected
REQUIRED = ("Label", "ContentProducer", "ProduceID")
FIELDS = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)

_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_AIGC = f"{{{TC260_NS}}}AIGC"
_SOURCE_TYPE = f"{{{IPTC_EXT_NS}}}DigitalSourceType"
_XMP_KEYWORD = b"XML:com.adobe.xmp"
_JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class AigcLabel:
    """The implicit label fields of GB 45438-2025."""

    label: str  # "1" AI-generated, "2" possibly AI-generated, "3" suspected AI-generated
    content_producer: str
    produce_id: str
    content_propagator: str = ""
    propagate_id: str = ""
    reserved_code1: str = ""  # we put an integrity code here (SHA-256 hex)
    reserved_code2: str = ""

    def __post_init__(self) -> None:
        if self.label not in LABEL_VALUES:
            raise ValueError(f"Label must be one of {LABEL_VALUES}, not {self.label!r}")
        if not self.content_producer or not self.produce_id:
            raise ValueError("ContentProducer and ProduceID must not be empty")

    def to_json(self) -> str:
        fields = {
            "Label": self.label,
            "ContentProducer": self.content_producer,
            "ProduceID": self.produce_id,
            "ReservedCode1": self.reserved_code1,
            "ContentPropagator": self.content_propagator,
            "PropagateID": self.propagate_id,
            "ReservedCode2": self.reserved_code2,
        }
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        # JSON escapes keep the value while making it storable in XML.
        return _NOT_XML.sub(lambda m: "".join(_json_escape(m.group())), text)


def _json_escape(char: str) -> list[str]:
    code = char.encode("utf-16-le", "surrogatepass")
    return [f"\\u{int.from_bytes(code[i : i + 2], 'little'):04x}" for i in range(0, len(code), 2)]


def xmp_for(aigc: AigcLabel, digital_source_type: str) -> str:
    """A complete XMP packet carrying the AIGC label and the IPTC digital source type."""
    if not digital_source_type or _NOT_XML.search(digital_source_type):
        raise ValueError("digital_source_type must be a non-empty URI")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{_RDF_NS}">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:TC260="{TC260_NS}"\n'
        f'    xmlns:Iptc4xmpExt="{IPTC_EXT_NS}">\n'
        f"   <TC260:AIGC>{escape(aigc.to_json())}</TC260:AIGC>\n"
        "   <Iptc4xmpExt:DigitalSourceType>"
        f"{escape(digital_source_type)}</Iptc4xmpExt:DigitalSourceType>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def png_with_xmp(png: bytes, xmp: str) -> bytes:
    """`png` with `xmp` in an uncompressed iTXt chunk right after IHDR; pixels untouched.

    Any earlier XMP text chunk goes, so readers never see two packets. The chunk goes
    first because readers (Pillow included) look for metadata before the image data.
    """
    view = memoryview(png)
    parts: list[memoryview | bytes] = [view[: len(PNG_SIGNATURE)]]
    kept_from = len(PNG_SIGNATURE)  # runs of chunks we keep are copied as one slice
    first = True
    for kind, position, end in png_chunks(png):
        if first:
            if kind != b"IHDR":
                raise ValueError("PNG does not start with IHDR")
            parts.append(view[position:end])
            parts.append(png_chunk(b"iTXt", _XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + xmp.encode()))
            kept_from, first = end, False
        elif (
            kind in (b"iTXt", b"tEXt", b"zTXt")
            and end - position - 12 > len(_XMP_KEYWORD)
            and png.startswith(_XMP_KEYWORD + b"\x00", position + 8)
        ):
            parts.append(view[kept_from:position])
            kept_from = end
    parts.append(view[kept_from:])  # IEND and anything a writer left after it
    return b"".join(parts)


def jpeg_with_xmp(jpeg: bytes, xmp: str) -> bytes:
    """`jpeg` with `xmp` in an APP1 segment after SOI and any JFIF/Exif headers.

    Those headers must come first by their own specifications. Earlier XMP APP1
    segments are dropped; entropy-coded data is copied untouched.
    """
    body = _JPEG_XMP_HEADER + xmp.encode()
    if len(body) + 2 > 0xFFFF:
        raise ValueError("XMP packet too large for one JPEG segment (extended XMP unsupported)")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    parts: list[bytes | memoryview] = [JPEG_SOI]
    view = memoryview(jpeg)
    inserted = False
    for marker, position, end in jpeg_segments(jpeg):
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            parts.append(view[position:end])
            continue
        # Payloads are tested in place: the start-of-scan segment runs to the file's end.
        is_app1 = marker == 0xE1
        is_header = marker == 0xE0 or (is_app1 and jpeg.startswith(b"Exif\x00", position + 4))
        if not inserted and not is_header:
            parts.append(segment)
            inserted = True
        if not (is_app1 and jpeg.startswith(_JPEG_XMP_HEADER, position + 4)):
            parts.append(view[position:end])
    return b"".join(parts)


@dataclass(frozen=True)
class ImplicitLabels:
    aigc: dict[str, str] | None  # the TC260:AIGC fields, None when absent or unparsable
    aigc_problems: list[str]  # why the AIGC label is not valid; empty when it is (or absent)
    digital_source_type: str | None


def read_implicit(image: Image.Image, data: bytes) -> ImplicitLabels:
    """The implicit labels in the file's XMP packet; malformed input is reported, not raised."""
    packet = xmp_packet(image, data)
    if packet is None:
        return ImplicitLabels(aigc=None, aigc_problems=[], digital_source_type=None)
    try:
        root = SafeET.fromstring(packet.encode("utf-8", "surrogatepass"))
    except (SafeET.ParseError, DefusedXmlException, ValueError) as error:
        # Unreadable XMP may hide a label: say so rather than report "no label".
        return ImplicitLabels(None, [f"XMP packet is not well-formed XML: {error}"], None)
    aigc_values = _property(root, _AIGC)
    source_types = _property(root, _SOURCE_TYPE)
    source_type = source_types[0].strip() if source_types else None
    if not aigc_values:
        return ImplicitLabels(None, [], source_type or None)
    aigc, problems = parse_aigc(aigc_values[0])
    if len(aigc_values) > 1:
        problems.append(f"TC260:AIGC appears {len(aigc_values)} times; read the first")
    return ImplicitLabels(aigc, problems, source_type or None)


def _property(root: Element, name: str) -> list[str]:
    """Values of an XMP simple property, written as an attribute or as an element."""
    values: list[str] = []
    for element in root.iter():
        if name in element.attrib:
            values.append(element.attrib[name])
        if element.tag == name:
            # A language alternative or a stray rdf:value still holds the text inside.
            text = element.text or ""
            if not text.strip():
                text = next((t for t in (e.text for e in element.iter()) if t and t.strip()), "")
            values.append(text.strip())
    return values


def parse_aigc(value: str) -> tuple[dict[str, str] | None, list[str]]:
    """The fields of a TC260:AIGC JSON value and the problems found in them."""
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, item in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = item
        return seen

    try:
        parsed = json.loads(value, object_pairs_hook=pairs)
    except (json.JSONDecodeError, RecursionError) as error:
        return None, [f"TC260:AIGC is not valid JSON: {error}"]
    if not isinstance(parsed, dict):
        return None, [f"TC260:AIGC is JSON {type(parsed).__name__}, not an object"]
    problems = [f"field {key} appears more than once" for key in dict.fromkeys(duplicates)]
    fields: dict[str, str] = {}
    for key, item in parsed.items():
        if isinstance(item, str):
            fields[key] = item
            continue
        fields[key] = "" if item is None else json.dumps(item, ensure_ascii=False)
        if key in FIELDS:
            problems.append(f"field {key} should be a string, not {json.dumps(item)[:40]}")
    for key in REQUIRED:
        if key not in fields:
            problems.append(f"missing field {key}")
        elif not fields[key].strip():
            problems.append(f"field {key} is empty")
    label = fields.get("Label")
    if label is not None and label.strip() and label not in LABEL_VALUES:
        problems.append(f'Label must be "1", "2" or "3", not {label!r}')
    return fields, problems
