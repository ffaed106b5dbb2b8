"""The works pages' forms: the terms form, and registering a work through the same
service call as `POST /v1/works`, with the API's refusal kept for the form to show
again."""

import json
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydantic import BaseModel
from sqlmodel import Session

from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.errors import FileTooLarge, GovernError
from governance.services import Services
from governance.works import service
from governance.works.schemas import WorkOut
from rights.terms import TermValue, Use


@dataclass(frozen=True)
class Refused:
    """The API's refusal of a form, as the form shows it again."""

    status: int
    code: str
    detail: str

    @classmethod
    def of(cls, exc: GovernError) -> "Refused":
        return cls(exc.status, exc.code, exc.detail)


class TermsFields(BaseModel):
    """The terms form: one select per use (rights.terms.Use), and the conditions of a
    use allowed with conditions. A use left unknown with no conditions is not stated."""

    data_mining: str = TermValue.UNKNOWN.value
    ai_training: str = TermValue.UNKNOWN.value
    ai_generative_training: str = TermValue.UNKNOWN.value
    ai_inference: str = TermValue.UNKNOWN.value
    restoration: str = TermValue.UNKNOWN.value
    data_mining_conditions: str = ""
    ai_training_conditions: str = ""
    ai_generative_training_conditions: str = ""
    ai_inference_conditions: str = ""
    restoration_conditions: str = ""

    def value(self, use: Use | str) -> str:
        return str(getattr(self, Use(use).value))

    def conditions(self, use: Use | str) -> str:
        return str(getattr(self, f"{Use(use).value}_conditions"))

    def terms(self) -> dict[str, Any]:
        """The terms as a client of the API sends them: the API's own checks apply."""
        out: dict[str, Any] = {}
        for use in Use:
            value, conditions = self.value(use), self.conditions(use).strip()
            if conditions:
                out[use.value] = {"use": value, "constraint_info": conditions}
            elif value != TermValue.UNKNOWN.value:
                out[use.value] = value
        return out

    @classmethod
    def declared(cls, declared: dict[str, Any]) -> "TermsFields":
        """The form filled with the terms the holder declared (a version's `declared`)."""
        fields: dict[str, str] = {}
        for use in Use:
            term = declared.get(use.value)
            if isinstance(term, dict):
                fields[use.value] = str(term.get("use", TermValue.UNKNOWN.value))
                fields[f"{use.value}_conditions"] = str(term.get("constraint_info") or "")
        return cls.model_validate(fields)


class WorkFields(TermsFields):
    """The registration form, less its file."""

    title: str = ""
    creator: str = ""
    license: str = ""

    def metadata(self) -> str:
        """The `metadata` part `POST /v1/works` takes, from the form's fields."""
        return json.dumps(
            {
                "title": self.title,
                "creator": self.creator,
                "license": self.license,
                "terms": self.terms(),
            }
        )


def new_work_form(principal: Principal) -> WorkFields:
    """An empty registration form, for the keys that may register (rights holders)."""
    require_role(principal, Role.RIGHTS_HOLDER)
    return WorkFields()


def register(
    session: Session,
    services: Services,
    principal: Principal,
    fields: WorkFields,
    upload: BinaryIO,
) -> WorkOut | Refused:
    """The work registered as `POST /v1/works` registers it, or the API's refusal with
    nothing kept."""
    require_role(principal, Role.RIGHTS_HOLDER)
    try:
        metadata = service.parse_metadata(fields.metadata())
        data = read_bounded(upload, services.settings.max_upload_bytes)
        return service.register_work(session, services, principal, data, metadata)
    except GovernError as exc:
        # The API's refusal rolls the request back as it raises; here the page goes on.
        session.rollback()
        return Refused.of(exc)


def read_bounded(upload: BinaryIO, max_bytes: int) -> bytes:
    """The uploaded file, never holding more than the limit (api.params.read_upload)."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
    return data
