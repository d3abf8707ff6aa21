"""The base of every API request shape: unknown fields are refused, and so are strings (keys
included) with NUL, control or bidi-override/zero-width characters."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, field_validator

from trialdesk.web.core.characters import refused_character_rule


def _refused(value: Any, where: str = "") -> tuple[str, str] | None:
    """(rule, where) for the first string in ``value`` that breaks a character rule; ``where`` is
    the dotted path inside the field ("" for the field itself)."""
    if isinstance(value, str):
        rule = refused_character_rule(value)
        return (rule, where) if rule else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            found = (_refused(key, inner) if isinstance(key, str) else None) or _refused(
                item, inner)
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _refused(item, f"{where}[{index}]" if where else f"[{index}]")
            if found:
                return found
    return None


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_refused_characters(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL in text or jsonb: refuse it here, naming the field, rather
        # than fail in the database with a server error; control and bidi-override/zero-width
        # characters would make a stored text read differently from what it holds
        found = _refused(value)
        if found:
            rule, where = found
            # the error names the field; a value deep inside it is pointed at in the rule
            raise ValueError(f"{rule} (at {where})" if where else rule)
        return value
