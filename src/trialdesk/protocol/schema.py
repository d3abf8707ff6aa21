"""The protocol: one validated object that the whole system reads."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from trialdesk.protocol.base import Code, PermissionName, StrictModel
from trialdesk.protocol.bop2_monitoring import Bop2Monitoring
from trialdesk.protocol.capture import Form, FormField, Visit
from trialdesk.protocol.consent import ConsentRules
from trialdesk.protocol.design import Design, MaskedRole, StratumLevel
from trialdesk.protocol.deviations import DeviationRules
from trialdesk.protocol.expressions import Expression
from trialdesk.protocol.monitoring import Monitoring
from trialdesk.protocol.product import ProductRules
from trialdesk.protocol.registry import Registry
from trialdesk.protocol.safety_monitoring import SafetyMonitoring
from trialdesk.protocol.text import LocalizedText


class Criterion(StrictModel):
    """One eligibility criterion; ``rule``, ``all`` or ``any`` (exactly one) says when it holds."""

    code: Code
    text: LocalizedText
    rule: Expression | None = None
    all: list[Expression] | None = None
    any: list[Expression] | None = None

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> Criterion:
        given = [name for name in ("rule", "all", "any") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'rule', 'all' or 'any'")
        return self

    @property
    def expression(self) -> Expression:
        """The criterion as one expression (an all/any group joined with and/or)."""
        if self.rule is not None:
            return self.rule
        parts, joiner = (self.all, " and ") if self.all is not None else (self.any, " or ")
        return Expression(joiner.join(f"({part.source})" for part in parts or []))


class Eligibility(StrictModel):
    inclusion: list[Criterion]
    exclusion: list[Criterion] = Field(default_factory=list)


class Outcome(StrictModel):
    code: Code
    kind: Literal["primary", "secondary", "other"]
    measure: LocalizedText
    description: LocalizedText
    time_frame: LocalizedText
    analysis: Literal[
        "safety_counts", "proportions", "survival", "ventilator_free_days",
        "change_from_baseline", "repeated_measures",
    ]




class Role(StrictModel):
    code: Code
    name: LocalizedText
    site_scoped: bool
    sees_arm: Literal["never", "own_site", "all", "after_unblinding"]
    masked_as: list[MaskedRole] = Field(default_factory=list)
    permissions: list[PermissionName]
    # sign-in asks this role's holders for a one-time code (TOTP) after the password; a trial
    # sets it on the roles that see arms, so a stolen password alone unblinds no one (issue 20)
    two_factor_required: bool = False


class Site(StrictModel):
    code: str = Field(pattern=r"^[A-Z]{2}-\d{2}$")
    name: str
    city: str
    country: str
    # the IANA zone the site's clocks are shown in (reporting due dates); times are kept in UTC
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "'America/Bogota')") from None
        return value


class Assumption(StrictModel):
    """A choice the registry page does not make, with the dotted path it concerns."""

    path: str
    note: str


class Protocol(StrictModel):
    schema_version: Literal[1]
    version: str
    languages: list[str] = Field(default_factory=lambda: ["en"])
    registry: Registry
    design: Design
    sites: list[Site]
    eligibility: Eligibility
    roles: list[Role]
    visits: list[Visit]
    forms: list[Form]
    outcomes: list[Outcome]
    assumptions: list[Assumption] = Field(default_factory=list)
    # the earliest date a consent or a discontinuation may carry (earliest_date()); default: the
    # registry's start date. Forms' dates are checked against it when their caller passes it
    # (validation.validate_form); a trial whose forms record history sets it earlier.
    earliest_data_date: dt.date | None = None
    # the Bayesian safety stopping rule the DSMB watches (issue 15); optional
    safety_monitoring: SafetyMonitoring | None = None
    # the source data verification plan (issue 16); optional
    monitoring: Monitoring | None = None
    # the BOP2 rule on efficacy and toxicity together the DSMB's closed report shows (issue 23)
    bop2_monitoring: Bop2Monitoring | None = None

    @model_validator(mode="after")
    def _monitoring_names_forms(self) -> Protocol:
        if self.monitoring is not None:
            fields = {form.code: {field.code for field in form.fields} for form in self.forms}
            errors = self.monitoring.unknown_references(fields)
            if errors:
                raise ValueError("; ".join(errors))
        return self
    # the protocol deviations' categories, severities and ethics reporting window (issue 16)
    deviations: DeviationRules | None = None
    # consent document versions per site, LAR and witness rules, refusal's data rule (issue 17)
    consent: ConsentRules | None = None
    # the cell product: release tests, dose, temperatures, expiry, resupply (issue 18); optional
    product: ProductRules | None = None

    @model_validator(mode="after")
    def _consent_names_sites_and_forms(self) -> Protocol:
        if self.consent is not None:
            errors = self.consent.unknown_sites({site.code for site in self.sites})
            forms = {form.code for form in self.forms}
            errors += [f"consent.treatment_forms: no form {code!r}"
                       for code in self.consent.treatment_forms if code not in forms]
            if errors:
                raise ValueError("; ".join(errors))
        return self

    @model_validator(mode="after")
    def _safety_monitoring_arm(self) -> Protocol:
        rule = self.safety_monitoring
        if rule is not None and rule.arm not in {arm.code for arm in self.design.arms}:
            raise ValueError(f"safety_monitoring.arm: {rule.arm!r} is not an arm of the design")
        return self

    @model_validator(mode="after")
    def _bop2_monitoring_names_arm_and_field(self) -> Protocol:
        rule = self.bop2_monitoring
        if rule is None:
            return self
        if rule.arm not in {arm.code for arm in self.design.arms}:
            raise ValueError(f"bop2_monitoring.arm: {rule.arm!r} is not an arm of the design")
        forms = {form.code: {field.code for field in form.fields} for form in self.forms}
        if rule.efficacy.field not in forms.get(rule.efficacy.form, set()):
            raise ValueError(f"bop2_monitoring.efficacy: no field {rule.efficacy.field!r} in a "
                             f"form {rule.efficacy.form!r}")
        return self

    @model_validator(mode="after")
    def _site_levels_come_from_sites(self) -> Protocol:
        for factor in self.design.randomization.strata:
            if factor.source == "site" and not factor.levels:
                factor.levels = [
                    StratumLevel(
                        code=site.code,
                        # a site's name is a proper name: the same in every language
                        label=LocalizedText(dict.fromkeys(["en", *self.languages], site.name)),
                    )
                    for site in self.sites
                ]
        return self

    def earliest_date(self) -> dt.date:
        """The earliest plausible date of trial data: ``earliest_data_date``, else the first day
        of the registry's start date (``2020``, ``2020-01`` and ``2020-01-13`` all count)."""
        if self.earliest_data_date is not None:
            return self.earliest_data_date
        parts = [int(part) for part in self.registry.start_date.split("-")]
        year, month, day = [*parts, 1, 1][:3]
        return dt.date(year, month, day)

    def form(self, code: str) -> Form:
        """Return the form with this code."""
        return next(form for form in self.forms if form.code == code)

    def visit(self, code: str) -> Visit:
        """Return the visit with this code."""
        return next(visit for visit in self.visits if visit.code == code)

    def all_fields(self) -> dict[str, FormField]:
        """Return every field of every form by code (eligibility and strata read these)."""
        return {field.code: field for form in self.forms for field in form.fields}

    def role(self, code: str) -> Role:
        """Return the role with this code."""
        return next(role for role in self.roles if role.code == code)

    def two_factor_roles(self) -> frozenset[str]:
        """Return the codes of the roles whose holders sign in with a one-time code too."""
        return frozenset(role.code for role in self.roles if role.two_factor_required)
