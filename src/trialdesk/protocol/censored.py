"""Values outside an assay's limits of quantification, kept as censored rather than as a number.

A numeric field may declare the assay's lower and upper limits of quantification (``lloq``,
``uloq``). A result below the LLOQ is entered as ``<5`` (or ``<LLOQ``) and stored as
``{"censored": "<", "limit": 5.0}``; above the ULOQ as ``>5000`` (``>ULOQ``), stored as
``{"censored": ">", "limit": 5000.0}``: the limit is kept, so no later reader mistakes it for a
measured 0 or guesses the limit. It is shown and exported as CDISC writes it (LBSTRESC ``<5``,
LBSTRESN empty), and an analysis substitutes a value by the field's declared rule
(``lloq_rule``: ``half`` = LLOQ/2, ``lod`` = the LLOQ itself, ``sqrt2`` = LLOQ/sqrt 2; above the
ULOQ: the ULOQ itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialdesk.protocol.capture import FormField

BELOW, ABOVE = "<", ">"
SUBSTITUTION = {"half": 0.5, "lod": 1.0, "sqrt2": 1 / math.sqrt(2)}


def is_censored(value: Any) -> bool:
    """True for a stored censored value (``{"censored": "<", "limit": 5.0}``)."""
    return (isinstance(value, Mapping) and value.get("censored") in (BELOW, ABOVE)
            and isinstance(value.get("limit"), int | float) and not isinstance(
                value.get("limit"), bool))


def censored(direction: str, limit: float) -> dict[str, Any]:
    """The stored form of a result beyond ``limit`` in ``direction`` (``<`` or ``>``)."""
    return {"censored": direction, "limit": float(limit)}


def _limit_text(limit: float) -> str:
    return f"{limit:g}"


def censored_text(value: Mapping[str, Any]) -> str:
    """``<5``: how a censored value is shown, typed and exported (CDISC LBORRES/LBSTRESC)."""
    return f"{value['censored']}{_limit_text(float(value['limit']))}"


def parse_censored(form_field: FormField, raw: Any) -> dict[str, Any] | None:
    """Read ``raw`` as a censored entry of ``form_field``; None when it is not one.

    Accepted: ``<5`` / ``< 5`` / ``<LLOQ`` (the field's LLOQ), ``>5000`` / ``>ULOQ``, and the
    stored dict itself (what the API hands out). The limit typed must be the field's declared
    limit: ``<3`` on an assay whose LLOQ is 5 is a ValueError saying so."""
    if is_censored(raw):
        direction, typed = raw["censored"], float(raw["limit"])
    elif isinstance(raw, str) and raw.strip()[:1] in (BELOW, ABOVE):
        text = raw.strip()
        direction, rest = text[0], text[1:].strip().replace(",", ".")
        if rest.upper() in ("LLOQ", "ULOQ", ""):
            wanted = "LLOQ" if direction == BELOW else "ULOQ"
            if rest and rest.upper() != wanted:
                raise ValueError(f"expected {direction}{wanted}, got {raw!r}")
            typed = None
        else:
            try:
                typed = float(rest)
            except ValueError:
                raise ValueError(f"expected a number after {direction!r}, got {raw!r}") from None
    else:
        return None
    limit = form_field.lloq if direction == BELOW else form_field.uloq
    name = "lower" if direction == BELOW else "upper"
    if limit is None:
        raise ValueError(f"the field declares no {name} limit of quantification, got {raw!r}")
    if typed is not None and not math.isclose(typed, limit, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(f"the assay's {name} limit of quantification is {_limit_text(limit)}: "
                         f"enter {direction}{_limit_text(limit)}")
    return censored(direction, limit)


def substitute(value: Any, rule: str = "half") -> float | None:
    """The number an analysis uses: a measured value itself; below the LLOQ, the LLOQ times
    the rule's factor; above the ULOQ, the ULOQ. None for an empty or unreadable value."""
    if is_censored(value):
        limit = float(value["limit"])
        return limit * SUBSTITUTION[rule] if value["censored"] == BELOW else limit
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def display_text(value: Any, unit: str | None = None) -> str:
    """A value as a person reads it: ``<5 pg/mL``, ``12.5 pg/mL`` (empty for none)."""
    if value is None or value == "":
        return ""
    text = censored_text(value) if is_censored(value) else f"{value}"
    return f"{text} {unit}" if unit else text
