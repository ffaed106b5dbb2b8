"""A TC260 implicit label is the service's only for the file it was issued for: a label
copied onto another file, altered, or naming a ProduceID never issued does not pass."""

import uuid
from typing import Any

from labeling.implicit import TRAINED, AigcLabel, jpeg_with_xmp, png_with_xmp, xmp_for
from tests.support.call_helpers import _conservator, _mask, _model, restore
from tests.support.helpers import auth, encode, np_image
from tests.support.label_helpers import (
    build,
    chunks,
    generated,
    generator,
    output_of,
    reencoded,
    verify,
)
from tests.support.service_fixture import Service


def _xmp_chunk(png: bytes) -> tuple[bytes, bytes]:
    return next((k, b) for k, b in chunks(png) if k == b"iTXt")


def _with_copied_label(target_png: bytes, source_png: bytes) -> bytes:
    """`target_png` given, byte for byte, the XMP chunk of `source_png` instead of its own."""
    parts = [(k, b) for k, b in chunks(target_png) if k != b"iTXt"]
    return build([parts[0], _xmp_chunk(source_png), *parts[1:]])


def _implicit(body: dict[str, Any]) -> tuple[str | None, bool, str]:
    """The origin's verdict, and the GB 45438 implicit_label check's result and detail."""
    origin = body["implicit_labels"]["origin"]
    check = next(
        c for c in body["conformance"]["gb_45438_2025"]["checks"] if c["name"] == "implicit_label"
    )
    return origin and origin["verdict"], check["passed"], check["detail"]


def _aigc(body: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = body["implicit_labels"]["tc260_aigc"]
    return fields


def test_an_output_label_copied_onto_a_photograph_does_not_pass(service: Service) -> None:
    model = generator(service)
    output = output_of(service, generated(service, model))
    other = output_of(service, generated(service, model, seed=5))
    genuine = verify(service, output).json()
    assert _implicit(genuine)[:2] == ("this_file", True)
    assert "as recorded" in _implicit(genuine)[2]
    manifest_id = _aigc(genuine)["ProduceID"]
    # The issue's case: an unrelated photograph carrying one of our outputs' XMP.
    photograph = _with_copied_label(encode(np_image(4, 256)), output)
    # And another of our outputs: alike in kind, but its watermark is its own.
    second = _with_copied_label(other, output)
    for copy in (photograph, second):
        body = verify(service, copy).json()
        assert _aigc(body)["ProduceID"] == manifest_id  # the file says what it says
        verdict, passed, detail = _implicit(body)
        assert (verdict, passed) == ("another_file", False), detail
        assert "another file" in detail and manifest_id in detail
        assert body["conformance"]["gb_45438_2025"]["conformant"] is False


def test_a_copy_of_the_output_itself_keeps_its_label(service: Service) -> None:
    output = output_of(service, generated(service, generator(service)))
    packet = _xmp_chunk(output)[1].split(b"\x00", 5)[-1].decode()
    # Re-encoded as JPEG and the XMP put back: the same output, known by its watermark.
    jpeg = jpeg_with_xmp(reencoded(output, "JPEG", quality=90), packet)
    verdict, passed, detail = _implicit(verify(service, jpeg, "copy.jpg").json())
    assert (verdict, passed) == ("this_file", True), detail
    assert "watermark" in detail
    # A platform that spreads it may add its own propagator fields.
    fields = _aigc(verify(service, output).json())
    spread = AigcLabel(
        fields["Label"],
        fields["ContentProducer"],
        fields["ProduceID"],
        reserved_code1=fields["ReservedCode1"],
        content_propagator="a platform",
        propagate_id="post-1",
    )
    propagated = png_with_xmp(output, xmp_for(spread, TRAINED))
    assert _implicit(verify(service, propagated).json())[:2] == ("this_file", True)


def test_a_label_whose_fields_differ_from_the_record_is_altered(service: Service) -> None:
    output = output_of(service, generated(service, generator(service)))
    fields = _aigc(verify(service, output).json())
    for changed, field in (
        ({"reserved_code1": "sha256:" + "0" * 64}, "ReservedCode1"),
        ({"label": "2", "reserved_code1": fields["ReservedCode1"]}, "Label"),
    ):
        label = AigcLabel(
            **{"label": fields["Label"], **changed},
            content_producer=fields["ContentProducer"],
            produce_id=fields["ProduceID"],
        )
        altered = png_with_xmp(output, xmp_for(label, TRAINED))
        verdict, passed, detail = _implicit(verify(service, altered).json())
        assert (verdict, passed) == ("altered", False), detail
        assert field in detail and "recorded" in detail


def test_produce_ids_never_issued_and_other_producers(service: Service) -> None:
    producer = service.settings.label_producer
    photo = encode(np_image(8, 128))
    forged = AigcLabel("1", producer, f"urn:c2pa:{uuid.uuid4()}", reserved_code1="sha256:00")
    verdict, passed, detail = _implicit(
        verify(service, png_with_xmp(photo, xmp_for(forged, TRAINED))).json()
    )
    assert (verdict, passed) == ("not_issued", False)
    assert "not the service's label" in detail
    # Another producer's label is judged by its fields alone, as before.
    theirs = AigcLabel("1", "Another Studio", "their-42")
    body = verify(service, png_with_xmp(photo, xmp_for(theirs, TRAINED))).json()
    verdict, passed, detail = _implicit(body)
    assert (verdict, passed) == ("other_producer", True)
    assert detail == "TC260:AIGC present: Label 1, producer Another Studio, id their-42"
    assert body["implicit_labels"]["origin"]["produce_id"] == "their-42"
    # A label without a ProduceID is a malformed label, with no origin to look up.
    bare = verify(service, photo).json()
    assert bare["implicit_labels"]["origin"] is None


def test_a_withheld_outputs_label_reads_as_never_issued(service: Service) -> None:
    _conservator(service)
    call = restore(service, encode(np_image(9, 128)), _mask(128, 128), _model(service)).json()
    assert call["status"] == "pending_review"
    output = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    copy = _with_copied_label(encode(np_image(10, 128)), output.content)
    for key, expected in (("regulator", "not_issued"), ("conservator", "another_file")):
        response = service.client.post(
            "/v1/verify", headers=auth(service.keys[key]), files={"file": ("c.png", copy)}
        )
        verdict, passed, _ = _implicit(response.json())
        assert (verdict, passed) == (expected, False), key
