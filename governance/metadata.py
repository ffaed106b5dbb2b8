"""The `metadata` form field of an upload: one JSON string, validated into a model."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from governance.errors import InvalidMetadata

M = TypeVar("M", bound=BaseModel)


def parse_metadata_field(model: type[M], raw: str | None, missing: str) -> M:
    """`raw` validated as `model`, or InvalidMetadata naming each field that is wrong."""
    if not raw:
        raise InvalidMetadata(missing)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        parts = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "metadata"
            parts.append(f"{where}: {error['msg']}")
        raise InvalidMetadata("; ".join(parts)) from None
