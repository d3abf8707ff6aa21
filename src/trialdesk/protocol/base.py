"""Shared building blocks of the protocol schema."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from trialdesk.blinding.permissions import ALL_PERMISSIONS, Permission, unknown_permission_message


class StrictModel(BaseModel):
    """Unknown keys are errors: a misspelt key in a protocol must not pass unnoticed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""A machine name: lower case letters, digits and underscores, starting with a letter."""


def _known_permission(value: Any) -> Any:
    # the rule gets its own name and a did-you-mean, rather than pydantic's generic enum error
    name = value.strip() if isinstance(value, str) else value
    if not isinstance(name, str) or name not in ALL_PERMISSIONS:
        raise PydanticCustomError(
            "permission-known", "{message}", {"message": unknown_permission_message(name)}
        )
    return name


PermissionName = Annotated[Permission, BeforeValidator(_known_permission)]
"""A permission on the closed list (trialdesk.blinding.permissions); anything else is refused."""
