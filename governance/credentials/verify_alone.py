"""Verifying a file with no service: what a regulator's own machine can check.

The file's manifest is judged against the trust anchors the caller gives (the service's
published root, GET /v1/labels/ca.pem, among them) and nothing else; its XMP, watermark
and fingerprint are read. Nothing is opened but the file, nothing is written. What only
the service's records can say (its record of the output, the label's origin, the visible
label it drew, the manifest it kept for a copy that lost its own) is not guessed at: the
report's `records` says it was not consulted, and the GB 45438 checks that need it say
"not checked" rather than fail as if the records had been asked.
"""

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from governance.credentials.file_read import FileRead, assemble, read_file
from governance.credentials.report import (
    RECORD_CHECKS,
    Check,
    Conformance,
    FileOnlyReport,
    RecordsNotConsulted,
    Regime,
    SoftBinding,
)
from governance.credentials.schemas import FINGERPRINT_ALG
from governance.errors import InvalidInput
from governance.settings import Settings
from labeling.watermark import WATERMARK_ALG
from rights.fingerprints import HashKind, Orientation, fingerprint, hash_hex

# The report's findings that only the service's records give (JSON paths in the report).
NOT_CHECKED = (
    "record",
    "fingerprint.matches",
    "implicit_labels.origin",
    "visible_label",
    "a manifest kept by the service, for a copy that lost its own",
)
NOT_CONSULTED = "not checked: the service's records were not consulted"


def parse_anchors(pem: bytes, source: str) -> list[x509.Certificate]:
    """The certificates of a PEM file or bundle; anything else is refused, by name."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InvalidInput(f"{source} is not a PEM certificate or bundle: {exc}") from None
    return certificates


def describe_anchor(certificate: x509.Certificate) -> str:
    digest = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    return f"{certificate.subject.rfc4514_string()} (SHA-256 {digest})"


def anchors_pem(certificates: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in certificates)


def verify_file_only(
    data: bytes,
    name: str,
    settings: Settings,
    anchors: list[x509.Certificate],
    why: str,
) -> FileOnlyReport:
    """The file's own report, judged against `anchors` only; `why` says why the service's
    records were not consulted (and how to ask them)."""
    read = read_file(data, settings, anchors_pem(anchors))
    report = assemble(read, name)
    eu, gb = report.conformance.eu_ai_act_art50, report.conformance.gb_45438_2025
    return FileOnlyReport(
        **{key: getattr(report, key) for key in type(report).model_fields if key != "conformance"},
        conformance=Conformance(eu_ai_act_art50=eu, gb_45438_2025=_unchecked(gb)),
        records=RecordsNotConsulted(
            detail=why,
            not_checked=list(NOT_CHECKED),
            trust_anchors=[describe_anchor(c) for c in anchors],
            soft_bindings=_bindings(read),
        ),
    )


def _unchecked(regime: Regime) -> Regime:
    """GB 45438's checks as far as the file alone shows: the visible label is known from
    the service's record only (labels are not read from pixels), and a label's ProduceID
    was not looked up."""
    checks = []
    for check in regime.checks:
        if check.name in RECORD_CHECKS:
            detail = (
                f"{NOT_CONSULTED}; only they say whether a visible label was drawn "
                "(labels are not read from pixels)"
            )
            check = Check(name=check.name, passed=False, detail=detail)
        elif check.name == "implicit_label" and check.passed:
            detail = (
                f"{check.detail}; its ProduceID was not looked up (the service's records "
                "were not consulted)"
            )
            check = Check(name=check.name, passed=True, detail=detail)
        checks.append(check)
    return Regime(regime=regime.regime, conformant=regime.conformant, checks=checks)


def _bindings(read: FileRead) -> list[SoftBinding]:
    phash = fingerprint(read.decoded.image).get(HashKind.PHASH, Orientation.ORIGINAL)
    found = [SoftBinding(alg=FINGERPRINT_ALG, value=hash_hex(phash))]
    if read.detection is not None:
        found.insert(0, SoftBinding(alg=WATERMARK_ALG, value=read.detection.watermark_id))
    return found
