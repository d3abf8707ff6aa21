"""The protocol's source data verification plan (``[monitoring]``, optional; issue 16).

Some data are verified against the source documents for every participant (ICH E6(R2) 5.18.3 and
the usual risk-based monitoring plans): consent, eligibility, the primary outcome, serious adverse
events and deaths. Of the rest a ``share`` is sampled, per form entry or per participant
(``unit``), reproducibly from a secret seed (:mod:`trialdesk.monitoring.sdv_plan`); a site whose
data raise many queries (``risk``) gets a higher share.

The seed is not part of the protocol file: that file goes to the sites and is published, and a
site that knew the seed could compute which of its forms will be verified. It is given in the
confidential file beside the allocation seed (``[monitoring] seed``, see
:mod:`trialdesk.protocol.confidential`) or, without one, made by the server once in its data
directory (``trialdesk.web.monitoring.plan_seed``); the loader refuses a protocol file holding it.

Nothing here names an arm: the plan must be the same whatever the allocation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trialdesk.protocol.base import Code, StrictModel


class FieldMark(StrictModel):
    """A form entry whose ``field`` holds one of ``values`` (e.g. the adverse-event form with
    ``ae_serious = yes``: a serious event; the end-of-study form with vital status ``dead``)."""

    form: Code
    field: Code
    values: list[str] = Field(min_length=1)


class FullVerification(StrictModel):
    """What is verified for every participant (100%)."""

    # each participant's consent record (date, form version)
    consent: bool = True
    # each participant's screening record (the values eligibility was decided on)
    screening: bool = True
    # the forms that hold eligibility and the primary outcome(s)
    eligibility: list[Code] = Field(default_factory=list)
    primary_outcome: list[Code] = Field(default_factory=list)
    # the form entries that record a serious adverse event or a death
    serious_adverse_events: list[FieldMark] = Field(default_factory=list)
    deaths: list[FieldMark] = Field(default_factory=list)
    # every serious adverse event and death of the safety database (its own records)
    safety_database: bool = True


class RiskBased(StrictModel):
    """A higher share at a site whose entered forms raise many queries."""

    # queries raised per entered form at a site, at or above which its share is ``share``
    query_rate: float = Field(gt=0)
    share: float = Field(gt=0, le=1)
    # a site with fewer entered forms keeps the base share: too few to judge its data by
    min_forms: int = Field(default=10, ge=1)


class Monitoring(StrictModel):
    """The source data verification plan and the monitoring visits' rhythm."""

    # the plan's secret seed: with an item's identity it decides the item's draw, so the plan is
    # reproducible and adding participants does not change earlier choices. Only from the
    # confidential file (never the published one); None: the server's own from its data directory
    seed: str | None = Field(default=None, min_length=16, max_length=200)
    share: float = Field(ge=0, le=1)
    unit: Literal["form", "participant"] = "form"
    full: FullVerification = Field(default_factory=FullVerification)
    risk: RiskBased | None = None
    # the planned interval between two monitoring visits of a site
    visit_interval_days: int = Field(default=90, ge=1, le=730)

    @model_validator(mode="after")
    def _risk_raises_the_share(self) -> Monitoring:
        if self.risk is not None and self.risk.share < self.share:
            raise ValueError("risk.share must not be below share (a risky site gets more "
                             "verification, not less)")
        return self

    def unknown_references(self, fields_by_form: dict[str, set[str]]) -> list[str]:
        """Return an error per form or field named here that the protocol does not have."""
        errors = []
        named = [("full.eligibility", code) for code in self.full.eligibility]
        named += [("full.primary_outcome", code) for code in self.full.primary_outcome]
        for where in ("serious_adverse_events", "deaths"):
            for index, mark in enumerate(getattr(self.full, where)):
                path = f"full.{where}[{index}]"
                named.append((path, mark.form))
                if mark.form in fields_by_form and mark.field not in fields_by_form[mark.form]:
                    errors.append(f"monitoring.{path}.field: {mark.field!r} is not a field of "
                                  f"the form {mark.form!r}")
        errors += [f"monitoring.{path}: {code!r} is not a form of the protocol"
                   for path, code in named if code not in fields_by_form]
        return errors
