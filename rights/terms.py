"""Terms per work and use, and how several signals combine (most restrictive wins).

A term is `{"use": value}` with `constraint_info` when constrained. `unknown` means
that nothing was said, so it loses to any explicit signal; an explicit value
from any source is never lifted by another source.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rights.errors import InvalidTermsError


class Use(StrEnum):
    DATA_MINING = "data_mining"
    AI_TRAINING = "ai_training"
    AI_GENERATIVE_TRAINING = "ai_generative_training"
    AI_INFERENCE = "ai_inference"
    # Our own use; outside this service it is understood as ai_inference.
    RESTORATION = "restoration"


class TermValue(StrEnum):
    ALLOWED = "allowed"
    NOT_ALLOWED = "notAllowed"
    CONSTRAINED = "constrained"
    UNKNOWN = "unknown"


RESTRICTIVENESS = {
    TermValue.UNKNOWN: 0,
    TermValue.ALLOWED: 1,
    TermValue.CONSTRAINED: 2,
    TermValue.NOT_ALLOWED: 3,
}

MAX_CONSTRAINT_CHARS = 2000


@dataclass(frozen=True)
class Signal:
    """One source's statement about one use."""

    source: str
    value: TermValue
    constraint_info: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "use": self.value.value}
        if self.constraint_info:
            out["constraint_info"] = self.constraint_info
        out.update(self.detail)
        return out

    @classmethod
    def from_json(cls, spec: Mapping[str, Any]) -> "Signal":
        detail = {k: v for k, v in spec.items() if k not in ("source", "use", "constraint_info")}
        return cls(spec["source"], TermValue(spec["use"]), spec.get("constraint_info"), detail)


def parse_declared_terms(raw: Any, source: str = "declared") -> dict[Use, Signal]:
    """Validate terms as a client sends them: `{use: value}` or `{use: {"use": value, ...}}`."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidTermsError("terms must be an object mapping each use to a value")
    signals: dict[Use, Signal] = {}
    for key, spec in raw.items():
        use = _parse_use(key)
        if isinstance(spec, str):
            value, info = _parse_value(spec, key), None
        elif isinstance(spec, Mapping):
            unknown_keys = set(spec) - {"use", "constraint_info"}
            if unknown_keys:
                raise InvalidTermsError(
                    f"term '{key}' has unknown fields: {', '.join(sorted(unknown_keys))}"
                )
            value = _parse_value(spec.get("use"), key)
            info = spec.get("constraint_info")
            if info is not None and not isinstance(info, str):
                raise InvalidTermsError(f"term '{key}': constraint_info must be text")
        else:
            raise InvalidTermsError(f"term '{key}' must be a value or an object with 'use'")
        if info is not None and "\x00" in info:
            raise InvalidTermsError(f"term '{key}': constraint_info contains a NUL character")
        if info is not None and len(info) > MAX_CONSTRAINT_CHARS:
            raise InvalidTermsError(
                f"term '{key}': constraint_info is longer than {MAX_CONSTRAINT_CHARS} characters"
            )
        if info and value is not TermValue.CONSTRAINED:
            raise InvalidTermsError(f"term '{key}': constraint_info only goes with 'constrained'")
        signals[use] = Signal(source=source, value=value, constraint_info=info or None)
    return signals


def _parse_use(key: Any) -> Use:
    try:
        return Use(key)
    except ValueError:
        allowed = ", ".join(u.value for u in Use)
        raise InvalidTermsError(f"unknown use '{key}'; uses are: {allowed}") from None


def _parse_value(value: Any, key: str) -> TermValue:
    try:
        return TermValue(value)
    except ValueError:
        allowed = ", ".join(v.value for v in TermValue)
        raise InvalidTermsError(
            f"unknown value '{value}' for '{key}'; values are: {allowed}"
        ) from None


def combine(signal_sets: list[dict[Use, Signal]]) -> dict[str, dict[str, Any]]:
    """The effective terms for every use, each with the signals it was made from."""
    effective: dict[str, dict[str, Any]] = {}
    for use in Use:
        signals = [s[use] for s in signal_sets if use in s]
        winner = max(
            (s.value for s in signals), key=RESTRICTIVENESS.__getitem__, default=TermValue.UNKNOWN
        )
        term: dict[str, Any] = {"use": winner.value}
        if winner is TermValue.CONSTRAINED:
            infos = [s.constraint_info for s in signals if s.value is winner and s.constraint_info]
            if infos:
                term["constraint_info"] = "\n".join(dict.fromkeys(infos))
        term["sources"] = [s.to_json() for s in signals]
        effective[use.value] = term
    return effective


# Values that refuse a use in a call: no licence grants exist yet to meet a constraint.
FORBIDDING = frozenset({TermValue.NOT_ALLOWED, TermValue.CONSTRAINED})


def term_value(term: dict[str, Any] | None) -> TermValue:
    """The value of one use's effective term, as `combine` writes it; unknown when silent."""
    return TermValue((term or {}).get("use", TermValue.UNKNOWN.value))
