"""The regulator's page (any key may use it): one or several files verified as
`POST /v1/verify` verifies them and screened as `POST /v1/screen` screens them, each
said in plain words; a file the API refuses gets the API's sentence."""

from dataclasses import dataclass
from typing import BinaryIO

from sqlmodel import Session

from governance.auth.service import Principal
from governance.credentials import verify_file
from governance.credentials.report import Regime, VerifyReport
from governance.errors import GovernError
from governance.pages.verify_words import (
    CHECKS,
    c2pa_words,
    copy_words,
    disclosure_words,
    record_words,
    synthetic_words,
    watermark_words,
)
from governance.pages.works_forms import Refused, read_bounded
from governance.screening.schemas import ScreenResult
from governance.screening.service import record_sightings, search_file
from governance.services import Services


@dataclass(frozen=True)
class Upload:
    name: str
    stream: BinaryIO


@dataclass(frozen=True)
class CheckShown:
    name: str
    title: str
    why: str
    passed: bool
    detail: str  # what was found, the API's words


@dataclass(frozen=True)
class RegimeShown:
    regime: str
    conformant: bool
    checks: list[CheckShown]


@dataclass(frozen=True)
class Findings:
    report: VerifyReport
    screen: ScreenResult
    c2pa_state: str
    c2pa_meaning: str
    ai_made: bool
    disclosure: str
    regimes: list[RegimeShown]
    watermark: str
    record: str
    copies: list[str]
    synthetic: str


@dataclass(frozen=True)
class FileVerdict:
    name: str
    findings: Findings | None
    refused: Refused | None


def verify_files(
    session: Session, services: Services, principal: Principal, uploads: list[Upload]
) -> list[FileVerdict]:
    """Each file's verdict, in the order sent. The screens' sightings of registered works
    are written once every file is read (no transaction is open while they are)."""
    verdicts = []
    for upload in uploads:
        try:
            findings = _findings(session, services, principal, upload)
        except GovernError as exc:
            verdicts.append(FileVerdict(upload.name, None, Refused.of(exc)))
            continue
        verdicts.append(FileVerdict(upload.name, findings, None))
    for verdict in verdicts:
        if verdict.findings is not None:
            record_sightings(session, verdict.findings.screen)
    return verdicts


def _findings(
    session: Session, services: Services, principal: Principal, upload: Upload
) -> Findings:
    data = read_bounded(upload.stream, services.settings.max_upload_bytes)
    report = verify_file.verify(session, services, principal.role, data, upload.name)
    screen = search_file(session, services, principal, data)
    state, meaning = c2pa_words(report)
    ai_made, disclosure = disclosure_words(report)
    conformance = report.conformance
    return Findings(
        report=report,
        screen=screen,
        c2pa_state=state,
        c2pa_meaning=meaning,
        ai_made=ai_made,
        disclosure=disclosure,
        regimes=[_regime(conformance.eu_ai_act_art50), _regime(conformance.gb_45438_2025)],
        watermark=watermark_words(report),
        record=record_words(report.record),
        copies=[copy_words(c) for c in screen.near_copies],
        synthetic=synthetic_words(screen.synthetic),
    )


def _regime(regime: Regime) -> RegimeShown:
    checks = []
    for check in regime.checks:
        title, why = CHECKS.get(check.name, (check.name.replace("_", " "), ""))
        checks.append(CheckShown(check.name, title, why, check.passed, check.detail))
    return RegimeShown(regime.regime, regime.conformant, checks)
