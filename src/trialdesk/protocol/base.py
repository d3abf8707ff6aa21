"""Shared building blocks of the protocol schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class StrictModel(BaseModel):
    """Unknown keys are errors: a misspelt key in a protocol must not pass unnoticed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""A machine name: lower case letters, digits and underscores, starting with a letter."""
