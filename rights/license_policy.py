"""Licence policy for AI training: does a dataset's SPDX licence clear it for training?

The policy judges one licence id at a time and then combines the ids the way the
expression does: `A OR B` takes the best verdict (the licensee may choose the
option that suits them), `A AND B` the worst (every term applies at once), and
`X WITH exception` is judged as `X` (an exception only ever grants more).

Only NONE blocks: it means "no licence", so all rights are reserved. Everything
that is neither plainly permissive nor NONE goes to a person for review, since
whether NC, ND or share-alike terms bite depends on the deployment, not on the id.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from license_expression import AND, OR, LicenseSymbol, LicenseWithExceptionSymbol

from rights.errors import InvalidLicenseError
from rights.licenses import _licensing, normalise_license


class LicenseVerdict(StrEnum):
    CLEARED = "cleared"
    REVIEW = "review"
    BLOCKED = "blocked"


# Best first: OR picks the lowest rank, AND the highest.
_RANK = {LicenseVerdict.CLEARED: 0, LicenseVerdict.REVIEW: 1, LicenseVerdict.BLOCKED: 2}


@dataclass(frozen=True)
class LicenseAssessment:
    expression: str
    verdict: LicenseVerdict
    reasons: tuple[str, ...]


# --- The policy table -------------------------------------------------------------------

# Permissive and public-domain licences for data, media and software: attribution at
# most, no field-of-use limits, no conditions on what is derived from the work.
CLEARED_IDS: frozenset[str] = frozenset(
    {
        # Public domain dedications and equivalents
        "CC0-1.0",
        "CC-PDDC",
        "CC-PDM-1.0",  # the Public Domain Mark: a label for works free of known copyright
        "PDDL-1.0",
        "Unlicense",
        "0BSD",
        "MIT-0",
        # Attribution-only licences for data and media
        "CC-BY-1.0",
        "CC-BY-2.0",
        "CC-BY-2.5",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "ODC-By-1.0",
        "CDLA-Permissive-1.0",
        "CDLA-Permissive-2.0",
        # Permissive software licences
        "MIT",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Zlib",
    }
)

# Jurisdiction ports of CC BY (CC-BY-3.0-DE, CC-BY-2.5-AU, CC-BY-3.0-IGO...) carry the
# same attribution-only terms; a digit right after "CC-BY-" keeps NC/ND/SA variants out.
CLEARED_PATTERNS: tuple[re.Pattern[str], ...] = (re.compile(r"^CC-BY-\d+(\.\d+)?-[A-Z]+$"),)

# Terms that may or may not bite on AI training depending on the deployment. An id can
# fall in several families (CC-BY-NC-SA-4.0); its reason then names each of them.
REVIEW_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(^|-)NC(-|$)|Noncommercial|^NCGL-"),
        "non-commercial (NC) terms need review for this deployment",
    ),
    (
        re.compile(r"(^|-)ND(-|$)"),
        "no-derivatives (ND) terms need review, as a trained model may be a derivative",
    ),
    (
        re.compile(
            r"(^|-)SA(-|$)"
            r"|^(A|L)?GPL-|^GFDL-|^MPL-|^EPL-|^EUPL-|^CDDL-|^CPL-|^OSL-|^SSPL-"
            r"|^ODbL-|^CDLA-Sharing-"
        ),
        "share-alike (SA) or copyleft terms need review, as they may extend to the model",
    ),
)

NOASSERTION_REASON = "NOASSERTION: nothing was concluded about this licence"
NONE_REASON = "NONE: there is no licence, so all rights are reserved"
REF_REASON = "a licence of its own (LicenseRef), unknown to the policy"
UNLISTED_REASON = "not in the policy table"


# --- Assessment -----------------------------------------------------------------------


# Pure, and asked about the same few licences for every matched item of every use.
@lru_cache(maxsize=4096)
def assess_license(expression: str) -> LicenseAssessment:
    """The verdict on `expression` for AI training; InvalidLicenseError if it is not SPDX."""
    canonical = normalise_license(expression)
    if canonical == "NOASSERTION":
        return LicenseAssessment(canonical, LicenseVerdict.REVIEW, (NOASSERTION_REASON,))
    if canonical == "NONE":
        return LicenseAssessment(canonical, LicenseVerdict.BLOCKED, (NONE_REASON,))
    parsed = _licensing().parse(canonical, strict=True)
    verdict, reasons = _judge(parsed)
    return LicenseAssessment(canonical, verdict, tuple(dict.fromkeys(reasons)))


def assess_license_id(key: str) -> tuple[LicenseVerdict, str | None]:
    """The verdict on one licence id, with the reason when it is not plainly cleared."""
    if key.startswith(("LicenseRef-", "DocumentRef-")):
        return LicenseVerdict.REVIEW, f"{key}: {REF_REASON}"
    if key in CLEARED_IDS or any(p.match(key) for p in CLEARED_PATTERNS):
        return LicenseVerdict.CLEARED, None
    families = [why for pattern, why in REVIEW_FAMILIES if pattern.search(key)]
    if families:
        return LicenseVerdict.REVIEW, f"{key}: {'; '.join(families)}"
    return LicenseVerdict.REVIEW, f"{key}: {UNLISTED_REASON}"


def _judge(node: object) -> tuple[LicenseVerdict, list[str]]:
    if isinstance(node, LicenseWithExceptionSymbol):
        return _judge(node.license_symbol)
    if isinstance(node, LicenseSymbol):
        verdict, reason = assess_license_id(str(node.key))
        return verdict, [reason] if reason else []
    if isinstance(node, (AND, OR)):
        judged = [_judge(arg) for arg in node.args]
        pick = max if isinstance(node, AND) else min
        verdict = pick((v for v, _ in judged), key=_RANK.__getitem__)
        # AND: every term applies, so every reason stands. OR: only the options the
        # licensee would pick explain the verdict; a cleared option needs no reason.
        return verdict, [
            reason
            for option_verdict, option_reasons in judged
            if isinstance(node, AND) or option_verdict == verdict
            for reason in option_reasons
        ]
    # normalise_license already parsed this expression, so this is a library change.
    raise InvalidLicenseError(f"cannot judge the licence expression part {node!r}")
