"""`govern verify`: which verifier checks the files, and what is printed and written.

Three ways, none of which makes a deployment:
- `--url URL --key KEY`: the service's own reports (its anchors, its records);
- `--trust-anchor ca.pem` (or `--no-trust-anchor`): the file alone, on any machine;
- neither, inside a deployment (`GOVERN_DATA_DIR` holds its database, or
  `GOVERN_DATABASE_URL` names one): its database, read only.
Outside a deployment with neither, nothing is checked: exit 2 with the three ways, as a
check that silently skipped the records and the anchors would read as a failed one.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from pydantic import ValidationError
from rich.console import Console

from governance.cli.aborted import Aborted
from governance.cli.read_only import deployment_here, open_read_only, where
from governance.cli.verify_files import (
    InDeployment,
    Outcome,
    Verifier,
    read_bytes,
    run_verifier,
    write_reports,
)
from governance.cli.verify_print import print_report
from governance.credentials.verify_alone import describe_anchor, parse_anchors, verify_file_only
from governance.errors import GovernError
from governance.settings import Settings, get_settings
from labeling.verify_report import counts

KEY_VARIABLE = "GOVERN_API_KEY"
NO_DEPLOYMENT = "no deployment; use --url to ask the service"
ANCHORS_GIVEN = "the file alone was checked (--trust-anchor); use --url to ask the service"


@dataclass(frozen=True)
class Request:
    paths: list[Path]
    out: Path
    as_json: bool
    trust_anchors: list[Path]
    no_trust_anchor: bool
    url: str | None
    key: str | None


def how_to_verify(data_dir: Path) -> str:
    return f"""nothing was checked: there is no deployment here (GOVERN_DATA_DIR is \
{data_dir}, which holds no database, and GOVERN_DATABASE_URL is not set), and none was \
made. Choose how to check:
  --trust-anchor ca.pem   the file alone, on this machine: its C2PA manifest judged against \
these anchors (the service publishes its root at GET /v1/labels/ca.pem), its watermark, \
implicit labels and fingerprint. The service's records (its call, the audit log, the \
label's origin, the visible label it drew) are not consulted.
  --url URL --key KEY     ask the service (POST /v1/verify; the key may be in \
GOVERN_API_KEY): the same checks against its anchors, and its records as your key may \
be served them.
  inside the deployment   GOVERN_DATA_DIR (or GOVERN_DATABASE_URL) naming its database, \
read only.
  --no-trust-anchor       the file alone with no anchor: a signed manifest is then at \
best Valid (its signer unknown), never Trusted."""


class FileAlone:
    """The file alone, against the given anchors only; nothing else is opened."""

    def __init__(self, settings: Settings, anchors: list[x509.Certificate], why: str) -> None:
        self.settings = settings
        self.anchors = anchors
        self.why = why
        self.checked_with: dict[str, Any] = {
            "records": "not consulted",
            "why": why,
            "trust_anchors": [describe_anchor(c) for c in anchors],
        }
        self.note: str | None = f"The service's records were not consulted: {why}."

    def __call__(self, path: Path) -> Outcome:
        data, error = read_bytes(path)
        if data is None:
            return None, error
        try:
            return verify_file_only(data, path.name, self.settings, self.anchors, self.why), None
        except GovernError as exc:
            return None, f"{exc.code}: {exc.detail}"

    def close(self) -> None:
        """Nothing is held open."""


def run(request: Request, console: Console, errors: Console) -> int:
    """The exit status: 0, 1 when a file could not be read, 2 when nothing was checked."""
    try:
        verifier = _verifier(request, errors)
    except Aborted as exc:
        errors.print(str(exc), markup=False, highlight=False)
        return 2
    try:
        outcome = run_verifier(verifier, request.paths, errors)
    except Aborted as exc:
        errors.print(str(exc), markup=False, highlight=False)
        return 2
    finally:
        verifier.close()
    if not outcome.rows:
        errors.print("no image files found (.png .jpg .jpeg .webp .tif .tiff)")
        return 1
    paths = request.paths
    if len(paths) == 1 and not paths[0].is_dir():
        report = outcome.files[0].report
        if report is None:
            pass  # its error is printed below
        elif request.as_json:
            print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        else:
            print_report(report, console)
    else:
        report_json, page = write_reports(outcome, request.out)
        for name, value in counts(outcome.rows).items():
            console.print(f"{name}: {value}", markup=False)
        console.print(f"report: {report_json}  summary: {page}", markup=False)
    for row in outcome.rows:
        if row.get("error"):
            errors.print(f"{row['name']}: {row['error']}", markup=False, highlight=False)
    return 1 if outcome.unreadable else 0


def _verifier(request: Request, errors: Console) -> Verifier:
    if request.url is not None:
        return _remote(request, request.url, errors)
    if request.key is not None and request.key != os.environ.get(KEY_VARIABLE):
        # A key exported for other tools is no mistake; one typed here without --url is.
        raise Aborted("--key is for --url: a deployment's own database needs no key")
    settings = _settings()
    if request.trust_anchors or request.no_trust_anchor:
        return _file_alone(request, settings, errors)
    if not deployment_here(settings):
        raise Aborted(how_to_verify(settings.data_dir))
    services = open_read_only(settings)
    if not services.c2pa_trust_anchors.strip():
        errors.print(
            f"warning: the deployment's signing root was not found under {settings.data_dir} "
            "(nor configured): manifests are judged against no anchor, at best Valid",
            markup=False,
        )
    return InDeployment(services, where=where(settings), owned=True)


def _remote(request: Request, url: str, errors: Console) -> Verifier:
    from governance.cli.verify_remote import Remote, service_url, unencrypted

    if request.trust_anchors or request.no_trust_anchor:
        raise Aborted(
            "--url asks the service, which judges manifests against its own anchors: "
            "leave out --trust-anchor, or leave out --url to check the file alone"
        )
    if not request.key:
        raise Aborted("--url needs the service's key: --key KEY, or GOVERN_API_KEY")
    if unencrypted(service_url(url)):
        errors.print(
            f"warning: {url} is not https: the key crosses the network unencrypted",
            markup=False,
        )
    return Remote(url, request.key)


def _file_alone(request: Request, settings: Settings, errors: Console) -> Verifier:
    if request.trust_anchors and request.no_trust_anchor:
        raise Aborted("--trust-anchor and --no-trust-anchor contradict each other: pick one")
    anchors: list[x509.Certificate] = []
    for path in request.trust_anchors:
        pem, error = read_bytes(path)
        if pem is None:
            raise Aborted(f"the trust anchor {path} {error}")
        try:
            anchors += parse_anchors(pem, str(path))
        except GovernError as exc:
            raise Aborted(exc.detail) from None
    why = NO_DEPLOYMENT if not deployment_here(settings) else ANCHORS_GIVEN
    note = f"the service's records were not consulted ({why})"
    if not anchors:
        note += "; no trust anchor: a signed manifest is at best Valid, never Trusted"
    errors.print(f"warning: {note}", markup=False)
    return FileAlone(settings, anchors, why)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        raise Aborted(f"the GOVERN_* settings are not valid: {exc}") from None
