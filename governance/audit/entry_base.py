"""The base of every audit entry's data (governance/audit/entries.py lists the kinds)."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntryData(_Strict):
    """The data of one kind of entry; subclasses name the kind and their version."""

    entry_kind: ClassVar[str]

    def data(self) -> dict[str, Any]:
        """The entry's data as it is signed into the log (JSON types only)."""
        return self.model_dump(mode="json")
