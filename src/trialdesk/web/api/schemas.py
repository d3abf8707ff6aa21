"""Request and response shapes of the API. Requests reject unknown fields."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from trialdesk.web.core.idempotency import Idempotent
from trialdesk.web.core.schemas import Strict


class TokenIn(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)
    # which of the user's roles the token acts as (needed only by a person holding several)
    role: str = Field(default="", max_length=40)
    site: str | None = Field(default=None, max_length=5)
    # the authenticator app's current code, for an account with two-factor sign-in
    code: str = Field(default="", max_length=8)


class TokenOut(Schema):
    token: str


class ScreenIn(Strict):
    values: dict[str, Any]
    site: str | None = None
    # a retry with the same key returns the first screening's participant
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)


class CorrectionIn(Strict):
    values: dict[str, Any]
    reason: str = Field(min_length=10, max_length=2000)


class EligibilityIn(Strict):
    values: dict[str, Any]


class CriterionOut(Schema):
    code: str
    kind: str
    text: str
    status: str
    missing_fields: list[str]


class EligibilityOut(Schema):
    eligible: bool
    complete: bool
    criteria: list[CriterionOut]
    missing_fields: list[str]
    reasons: list[str]


class ConsentIn(Idempotent):
    """The first consent (issue 17): an approved version signed at the participant's site."""

    consent_date: dt.date
    form_version: str = Field(min_length=1, max_length=40)
    language: str = Field("", max_length=10, description="default: the version's first")
    signer: Literal["participant", "lar"] = "participant"
    lar_name: str = Field("", max_length=200)
    lar_relationship: str = Field("", max_length=100)
    signer_can_read: bool = True
    witness_name: str = Field("", max_length=200)
    consent_time: dt.time | None = Field(None, description="the site's local time")
    obtained_by: str | None = Field(None, max_length=150, description="username; default: you")


class RandomizeIn(Strict):
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)


class RandomizeOut(Schema):
    participant: str
    randomization_number: str
    kit_code: str
    randomized_at: str
    repeated: bool


class DispenseIn(Idempotent):
    lot: str = Field(min_length=1, max_length=40)


class UnblindIn(Idempotent):
    reason: str = Field(min_length=10, max_length=2000)


class FinalUnblindingIn(Strict):
    reason: str = Field(min_length=10, max_length=2000)


class FinalUnblindingRequestIn(FinalUnblindingIn, Idempotent):
    """The request to unblind the trial, which takes an idempotency key (the approval does not:
    it creates nothing)."""
