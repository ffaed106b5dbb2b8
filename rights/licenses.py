"""SPDX licence expressions: validated and normalised with `license-expression`."""

import re
from functools import lru_cache

from license_expression import Licensing, get_spdx_licensing

from rights.errors import InvalidLicenseError

# SPDX special values for "nothing was concluded/declared" and "no licence".
SPECIAL = {"NOASSERTION", "NONE"}
_LICENSE_REF = re.compile(r"^(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")
MAX_EXPRESSION_CHARS = 500


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


def normalise_license(expression: str) -> str:
    """The canonical SPDX form of `expression`, or InvalidLicenseError saying why not."""
    text = (expression or "").strip()
    if not text:
        raise InvalidLicenseError("the licence expression is empty")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise InvalidLicenseError(f"the licence expression exceeds {MAX_EXPRESSION_CHARS} chars")
    if text.upper() in SPECIAL:
        return text.upper()
    licensing = _licensing()
    try:
        parsed = licensing.parse(text, strict=True)
    except Exception as exc:  # the parser raises several unrelated types for bad syntax
        raise InvalidLicenseError(f"'{text}' is not a valid SPDX expression: {exc}") from None
    if parsed is None:
        raise InvalidLicenseError(f"'{text}' is not a valid SPDX expression")
    unknown = [
        key
        for key in licensing.license_keys(parsed)
        if not _LICENSE_REF.match(key) and key not in _known_keys()
    ]
    if unknown:
        raise InvalidLicenseError(
            f"unknown SPDX licence identifier(s): {', '.join(unknown)} "
            "(use LicenseRef-<name> for a licence of your own)"
        )
    canonical = str(parsed.render("{symbol.key}"))
    if len(canonical) > MAX_EXPRESSION_CHARS:
        raise InvalidLicenseError(
            f"the licence expression is longer than {MAX_EXPRESSION_CHARS} characters "
            "once normalised"
        )
    return canonical


@lru_cache(maxsize=1)
def _known_keys() -> frozenset[str]:
    keys: set[str] = set()
    for symbol in _licensing().known_symbols.values():
        keys.add(symbol.key)
        keys.update(getattr(symbol, "aliases", ()) or ())
    return frozenset(keys)
