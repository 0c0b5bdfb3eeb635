"""Form data to the API's input models: the same validation, its errors keyed by field in
Spanish, so a page shows each message next to its field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import DomainError
from app.web.messages import field_errors

M = TypeVar("M", bound=BaseModel)


class FormErrors(Exception):
    """A form that did not validate: messages by field ("__all__" for the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate form data with an input model; FormErrors on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormErrors(field_errors(exc.errors())) from exc


def invalid_errors(exc: DomainError, default_field: str = "__all__") -> dict[str, str]:
    """A service's 422 as form errors (its `field` extension, else the whole form)."""
    return {str(exc.extensions.get("field", default_field)): exc.detail}


def blank_to_none(data: dict[str, Any]) -> dict[str, Any]:
    """Empty form fields mean "not given"."""
    return {k: (None if v == "" else v) for k, v in data.items()}
