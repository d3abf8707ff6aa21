"""Request shapes of the data-capture API; like the server's, they reject unknown fields."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from trialdesk.web.core.idempotency import Idempotent
from trialdesk.web.core.schemas import Strict


class FormSaveIn(Strict):
    values: dict[str, Any]
    complete: bool = False
    confirm: list[str] = Field(default_factory=list)
    reason: str = Field(default="", max_length=2000)
    expected_version: int | None = None
    # "screening_record" when the values come from the form's offer (GET: ``prefilled``)
    prefilled_from: str = Field(default="", max_length=40)


class SignatureIn(Idempotent):
    # not "SignIn": the supply API's lot release has one, and the OpenAPI schema names a
    # shape by its class, so one would stand for the other
    password: str = Field(min_length=1, max_length=200)


class VisitRef(Strict):
    participant: str = Field(min_length=1, max_length=40)
    visit: str = Field(min_length=1, max_length=40)


class FormRef(Strict):
    participant: str = Field(min_length=1, max_length=40)
    visit: str = Field(min_length=1, max_length=40)
    form: str = Field(min_length=1, max_length=40)
    seq: int = Field(default=1, ge=1)


class SignVisitsIn(Idempotent):
    """The signing session: whole visits, single form entries (a repeating form's), or both."""

    password: str = Field(min_length=1, max_length=200)
    visits: list[VisitRef] = Field(default_factory=list, max_length=500)
    forms: list[FormRef] = Field(default_factory=list, max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class NotDoneIn(ReasonIn, Idempotent):
    """Why a visit was not done (a create: it takes an idempotency key)."""


class DiscontinueIn(Idempotent):
    kind: Literal["died", "withdrew"]
    date: dt.date
    reason: str = Field(default="", max_length=2000)


class QueryIn(Idempotent):
    field: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=4000)


class AnswerIn(Strict):
    text: str = Field(min_length=1, max_length=4000)
    correction: dict[str, Any] | None = None
    reason: str = Field(default="", max_length=2000)
    confirm: list[str] = Field(default_factory=list)


class QueryNoteIn(Strict):
    text: str = Field(default="", max_length=4000)


class LockIn(Idempotent):
    scope: Literal["form", "participant", "database"]
    participant: str | None = None
    visit: str | None = None
    form: str | None = None
    seq: int = 1
    reason: str = Field(default="", max_length=2000)


class ImportIn(Strict):
    format: Literal["json", "csv"]
    data: str | list[dict[str, Any]]
    all_or_nothing: bool = False
