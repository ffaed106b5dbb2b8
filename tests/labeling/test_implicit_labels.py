"""Implicit labels: GB 45438 TC260:AIGC and IPTC DigitalSourceType in XMP."""

import io
import json
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from labeling.implicit import (
    COMPOSITE,
    FIELDS,
    TRAINED,
    AigcLabel,
    ImplicitLabels,
    jpeg_with_xmp,
    png_with_xmp,
    read_implicit,
    xmp_for,
)

HASH = "9f" * 32


def _png(pixels: np.ndarray | None = None, **params: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(samples.astronaut() if pixels is None else pixels).save(buffer, "PNG", **params)
    return buffer.getvalue()


def _read(data: bytes) -> ImplicitLabels:
    with Image.open(io.BytesIO(data)) as image:
        return read_implicit(image, data)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, position = [], 8
    while position < len(png):
        (length,) = struct.unpack_from(">I", png, position)
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", png, position + 8 + length)
        assert crc == zlib.crc32(kind + body)
        found.append((kind, body))
        position += 12 + length
    return found


def _aigc_xmp(value: str, as_attribute: bool = False) -> str:
    body = (
        f'<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" '
        f"TC260:AIGC='{value}'/>"
        if as_attribute
        else '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{value}</TC260:AIGC></rdf:Description>"
    )
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    )


def test_to_json_has_exactly_the_seven_fields_compactly() -> None:
    label = AigcLabel("1", "博物馆", "call-1", reserved_code1=HASH)
    text = label.to_json()
    assert list(json.loads(text)) == list(FIELDS)
    assert " " not in text and "博物馆" in text


def test_round_trip_through_png_and_pillow() -> None:
    label = AigcLabel(
        "1",
        'Musée & "Palace" <博物院>',
        "call-7f3a",
        content_propagator="Propagator </TC260:AIGC> &amp;",
        propagate_id="p-1",
        reserved_code1=HASH,
        reserved_code2="free text ' \" < > &",
    )
    out = png_with_xmp(_png(), xmp_for(label, TRAINED))
    read = _read(out)
    assert read.aigc_problems == []
    assert read.digital_source_type == TRAINED
    assert read.aigc == {
        "Label": "1",
        "ContentProducer": 'Musée & "Palace" <博物院>',
        "ProduceID": "call-7f3a",
        "ReservedCode1": HASH,
        "ContentPropagator": "Propagator </TC260:AIGC> &amp;",
        "PropagateID": "p-1",
        "ReservedCode2": "free text ' \" < > &",
    }


def test_characters_xml_cannot_carry_survive_as_json_escapes() -> None:
    label = AigcLabel("2", "a\x00b\ufffe", "id\x1f")
    read = _read(png_with_xmp(_png(), xmp_for(label, COMPOSITE)))
    assert read.aigc is not None and read.aigc_problems == []
    assert read.aigc["ContentProducer"] == "a\x00b\ufffe"
    assert read.aigc["ProduceID"] == "id\x1f"
    assert read.digital_source_type == COMPOSITE


def test_pixels_are_untouched_and_the_chunk_sits_after_ihdr() -> None:
    png = _png()
    out = png_with_xmp(png, xmp_for(AigcLabel("1", "m", "c"), TRAINED))
    with Image.open(io.BytesIO(out)) as image:
        image.load()
        assert np.array_equal(np.asarray(image), samples.astronaut())
    chunks = _chunks(out)  # also checks every CRC
    assert [kind for kind, _ in chunks[:2]] == [b"IHDR", b"iTXt"]
    assert chunks[1][1].startswith(b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<?xpacket")
    assert out.replace(out[33 : 33 + 12 + len(chunks[1][1])], b"", 1) == png


def test_replacing_an_existing_xmp_chunk() -> None:
    first = png_with_xmp(_png(), xmp_for(AigcLabel("3", "old", "one"), COMPOSITE))
    second = png_with_xmp(first, xmp_for(AigcLabel("1", "new", "two"), TRAINED))
    assert sum(body.startswith(b"XML:com.adobe.xmp") for _, body in _chunks(second)) == 1
    read = _read(second)
    assert read.aigc is not None
    assert (read.aigc["ContentProducer"], read.aigc["Label"]) == ("new", "1")
    assert read.digital_source_type == TRAINED


def test_xmp_written_by_pillow_is_replaced_too() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _aigc_xmp('{"Label":"3"}'))
    info.add_text("Comment", "kept")
    png = _png(samples.camera(), pnginfo=info)
    out = png_with_xmp(png, xmp_for(AigcLabel("1", "m", "c"), TRAINED))
    kinds = [body.split(b"\x00")[0] for kind, body in _chunks(out) if kind in (b"iTXt", b"tEXt")]
    assert kinds == [b"XML:com.adobe.xmp", b"Comment"]
    assert _read(out).aigc_problems == []


def test_insertion_is_fast() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (600, 600, 3), dtype=np.uint8)
    png = _png(noise)
    assert len(png) > 1_000_000
    xmp = xmp_for(AigcLabel("1", "m", "c"), TRAINED)
    start = time.perf_counter()
    for _ in range(20):
        png_with_xmp(png, xmp)
    assert (time.perf_counter() - start) / 20 < 0.001


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a....", b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIDAT"],
)
def test_non_png_or_broken_png_raises(data: bytes) -> None:
    with pytest.raises(ValueError):
        png_with_xmp(data, "<x:xmpmeta/>")


def test_jpeg_round_trip_keeps_jfif_first_and_replaces_old_xmp() -> None:
    buffer = io.BytesIO()
    Image.fromarray(samples.astronaut()).save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    once = jpeg_with_xmp(jpeg, xmp_for(AigcLabel("2", "a", "b"), COMPOSITE))
    twice = jpeg_with_xmp(once, xmp_for(AigcLabel("1", "c", "d"), TRAINED))
    assert twice[2:4] == b"\xff\xe0"  # JFIF stays right after SOI
    assert twice.count(b"http://ns.adobe.com/xap/1.0/\x00") == 1
    read = _read(twice)
    assert read.aigc is not None and read.aigc["ContentProducer"] == "c"
    assert read.digital_source_type == TRAINED
    with Image.open(io.BytesIO(twice)) as image, Image.open(io.BytesIO(jpeg)) as original:
        assert np.array_equal(np.asarray(image), np.asarray(original))
    with pytest.raises(ValueError):
        jpeg_with_xmp(_png(), "<x:xmpmeta/>")


def test_no_xmp_means_no_label_and_no_problem() -> None:
    assert _read(_png()) == ImplicitLabels(None, [], None)


def test_attribute_form_is_read() -> None:
    value = '{"Label":"2","ContentProducer":"p","ProduceID":"i"}'
    read = _read(png_with_xmp(_png(), _aigc_xmp(value, as_attribute=True)))
    assert read.aigc == {"Label": "2", "ContentProducer": "p", "ProduceID": "i"}
    assert read.aigc_problems == []  # the four optional fields may be left out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('["Label"]', "not an object"),
        ('{"Label":"4","ContentProducer":"p","ProduceID":"i"}', "Label must be"),
        ('{"Label":"","ContentProducer":"p","ProduceID":"i"}', "field Label is empty"),
        ('{"Label":1,"ContentProducer":"p","ProduceID":"i"}', "should be a string"),
        ('{"ContentProducer":"p","ProduceID":"i"}', "missing field Label"),
        ('{"Label":"1","ProduceID":"i"}', "missing field ContentProducer"),
        ('{"Label":"1","ContentProducer":"p","ProduceID":"  "}', "field ProduceID is empty"),
        ('{"Label":"1","Label":"1","ContentProducer":"p","ProduceID":"i"}', "more than once"),
    ],
)
def test_invalid_labels_are_reported(value: str, expected: str) -> None:
    read = _read(png_with_xmp(_png(), _aigc_xmp(value)))
    assert any(expected in problem for problem in read.aigc_problems), read.aigc_problems


def test_integer_label_is_accepted_but_reported() -> None:
    read = _read(
        png_with_xmp(_png(), _aigc_xmp('{"Label":1,"ContentProducer":"p","ProduceID":"i"}'))
    )
    assert read.aigc is not None and read.aigc["Label"] == "1"
    assert read.aigc_problems == ["field Label should be a string, not 1"]


@pytest.mark.parametrize(
    "xmp",
    [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><TC260:AIGC>{}</x:xmpmeta>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><unclosed></x:xmpmeta>',
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>',
    ],
)
def test_malformed_or_hostile_xmp_is_reported_not_raised(xmp: str) -> None:
    read = _read(png_with_xmp(_png(), xmp))
    assert read.aigc is None
    assert read.aigc_problems and "XMP packet" in read.aigc_problems[0]


def test_packet_found_by_scan_in_unknown_containers() -> None:
    xmp = xmp_for(AigcLabel("1", "m", "c"), TRAINED).encode()
    buffer = io.BytesIO()
    Image.fromarray(samples.camera()).save(buffer, "BMP")
    data = buffer.getvalue() + xmp
    read = _read(data)
    assert read.aigc is not None and read.aigc["ProduceID"] == "c"


def test_writing_an_invalid_label_is_refused() -> None:
    with pytest.raises(ValueError):
        AigcLabel("4", "p", "i")
    with pytest.raises(ValueError):
        AigcLabel("1", "", "i")
    with pytest.raises(ValueError):
        xmp_for(AigcLabel("1", "p", "i"), "")


def test_label_before_signing_keeps_both_the_label_and_the_manifest() -> None:
    # C2PA's data hash covers the XMP chunk: the XMP goes in first, then the manifest.
    from labeling.c2pa_read import read_c2pa_manifest
    from labeling.c2pa_sign import sign_manifest
    from labeling.identity import generate_identity

    identity = generate_identity("Test museum")
    created = {"action": "c2pa.created", "digitalSourceType": TRAINED}
    manifest = {
        "claim_generator_info": [{"name": "tests"}],
        "title": "labelled",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}}],
    }
    small = _png(samples.astronaut()[::4, ::4].copy())
    labelled = png_with_xmp(small, xmp_for(AigcLabel("1", "Museum", "m-1"), TRAINED))
    signed = sign_manifest(labelled, "image/png", manifest, identity)
    read = read_c2pa_manifest(signed, "image/png", identity.root_pem.decode())
    assert read is not None and read.validation_state == "Trusted"
    implicit = _read(signed)
    assert implicit.aigc is not None and implicit.aigc["ProduceID"] == "m-1"
    assert implicit.digital_source_type == TRAINED


def test_the_producers_word_on_a_label_decides_its_conformance() -> None:
    from labeling.conformance import Check, gb45438

    fields = {"Label": "1", "ContentProducer": "Museum", "ProduceID": "m-1"}

    def implicit(origin: Check | None, problems: list[str] | None = None) -> Check:
        regime = gb45438(
            aigc=fields,
            aigc_problems=problems or [],
            visible=None,
            width=64,
            height=64,
            origin=origin,
        )
        return next(c for c in regime.checks if c.name == "implicit_label")

    judged_alone = implicit(None)
    assert judged_alone.passed and judged_alone.detail.endswith("id m-1")
    copied = implicit(Check("label_origin", False, "the label of another file"))
    assert not copied.passed and copied.detail == "the label of another file"
    confirmed = implicit(Check("label_origin", True, "issued for this file"))
    assert confirmed.passed and confirmed.detail.endswith("; issued for this file")
    # A malformed label fails on its own problems, whatever its producer says.
    assert implicit(Check("label_origin", True, "x"), ["missing field X"]).detail == (
        "missing field X"
    )
