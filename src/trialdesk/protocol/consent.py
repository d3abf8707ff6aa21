"""The protocol's informed-consent rules (``[consent]``, optional; issue 17).

Each consent document version is approved by each site's ethics committee on its own date, in
one or more languages. The version *current* at a site on a day is the latest one approved there
on or before that day; a consent may be signed on any version approved at the site that day, and
randomization needs a consent on the version current at the site (``current_version``).

Patients with ARDS are mostly sedated and ventilated, so the protocol says whether a legally
authorized representative (LAR) may consent for them, when an impartial witness must sign too,
how many days after regaining capacity the participant must be asked for their own consent, and
what happens to the data already collected when the participant then refuses
(``refusal_data_rule``):

- ``keep``: data collected so far are kept and used; study visits stop, but the outcome may still
  be taken from the medical records (as a withdrawal from follow-up visits);
- ``keep_until_refusal``: data collected until the refusal are kept and used, nothing after it
  (as a withdrawal from all further data collection, data use allowed);
- ``withdraw_all``: nothing collected may be used and nothing more is collected.

Withdrawal levels are nested: withdrawing from follow-up visits also ends the study treatment,
and withdrawing from all further data collection also ends the visits (``LEVELS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from trialdesk.protocol.base import StrictModel
from trialdesk.protocol.text import LocalizedText

DataRule = Literal["keep", "keep_until_refusal", "withdraw_all"]
WitnessCase = Literal["signer_cannot_read", "lar", "always"]
# a withdrawal's level, from the least to the most that stops
LEVELS: tuple[str, ...] = ("treatment", "follow_up", "all_data")
TREATMENT, FOLLOW_UP, ALL_DATA = LEVELS


class SiteApproval(StrictModel):
    """One site's ethics committee approval of a consent document version."""

    site: str
    date: dt.date


class ConsentVersion(StrictModel):
    """One version of the consent document, its languages and its approvals per site."""

    version: str = Field(min_length=1, max_length=40)
    title: LocalizedText
    languages: list[str] = Field(min_length=1)
    approvals: list[SiteApproval] = Field(default_factory=list)

    def approved_on(self, site: str) -> dt.date | None:
        """Return the day this version was approved at ``site``, None if it was not."""
        return next((a.date for a in self.approvals if a.site == site), None)


class ConsentRules(StrictModel):
    """Approved document versions per site and the rules of LAR consent and its sequels."""

    versions: list[ConsentVersion] = Field(min_length=1)
    lar_allowed: bool = True
    # when an impartial witness signs too; empty: never
    witness_when: list[WitnessCase] = Field(default_factory=lambda: ["signer_cannot_read"])
    # days after capacity returns by which the participant is asked for their own consent
    capacity_confirmation_days: int = Field(default=7, ge=0, le=365)
    # days, from the day an amendment's new consent version takes effect at a site, by which the
    # participants still in follow-up there sign it. ICH E6(R2) 4.8.2 asks for it "in a timely
    # manner"; 30 days reaches each of them at their next visit or two (the bundled schedule's
    # visits are at most 14 days apart)
    reconsent_days: int = Field(default=30, ge=1, le=365)
    refusal_data_rule: DataRule = "keep_until_refusal"
    # forms that record the study treatment: refused after a withdrawal from treatment
    treatment_forms: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_versions(self) -> ConsentRules:
        names = [v.version for v in self.versions]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"versions: version {repeated[0]!r} is given twice")
        for version in self.versions:
            sites = [a.site for a in version.approvals]
            twice = sorted({site for site in sites if sites.count(site) > 1})
            if twice:
                raise ValueError(f"versions: {version.version!r} is approved twice at {twice[0]}")
        return self

    def version(self, name: str) -> ConsentVersion | None:
        """Return the version called ``name``, or None."""
        return next((v for v in self.versions if v.version == name), None)

    def approved_versions(self, site: str, on: dt.date) -> list[ConsentVersion]:
        """Return the versions approved at ``site`` on or before ``on``, latest approval last."""
        approved = [(v.approved_on(site), index, v) for index, v in enumerate(self.versions)]
        dated = [(day, index, v) for day, index, v in approved if day is not None and day <= on]
        return [v for _, _, v in sorted(dated, key=lambda item: (item[0], item[1]))]

    def current_version(self, site: str, on: dt.date) -> ConsentVersion | None:
        """Return the version in force at ``site`` on ``on`` (the latest approved), or None."""
        approved = self.approved_versions(site, on)
        return approved[-1] if approved else None

    def version_rule(self, site: str, on: dt.date, name: str, language: str) -> str | None:
        """Return why ``name`` in ``language`` may not be signed at ``site`` on ``on``, or None."""
        version = self.version(name)
        if version is None:
            known = ", ".join(v.version for v in self.versions)
            return f"must be a consent version of the protocol ({known})"
        approved = version.approved_on(site)
        if approved is None:
            return f"version {name} is not approved at site {site}"
        if approved > on:
            return f"version {name} is approved at site {site} only from {approved.isoformat()}"
        if language not in version.languages:
            return f"must be one of the version's languages ({', '.join(version.languages)})"
        return None

    def witness_required(self, *, signer: str, signer_can_read: bool) -> bool:
        """Return True if an impartial witness must sign this consent."""
        cases = set(self.witness_when)
        return ("always" in cases or (signer == "lar" and "lar" in cases)
                or (not signer_can_read and "signer_cannot_read" in cases))

    def unknown_sites(self, sites: set[str]) -> list[str]:
        """Return an error for each approval naming a site the protocol does not have."""
        return [f"consent.versions: {v.version!r} is approved at unknown site {a.site}"
                for v in self.versions for a in v.approvals if a.site not in sites]


def refusal_effect(rule: DataRule) -> tuple[str, bool]:
    """Return the withdrawal level and data use a refusal on regaining capacity stands for."""
    return {"keep": (FOLLOW_UP, True), "keep_until_refusal": (ALL_DATA, True),
            "withdraw_all": (ALL_DATA, False)}[rule]


def stops(level: str, what: str) -> bool:
    """Return True if a withdrawal at ``level`` stops ``what`` (a level: levels are nested)."""
    return LEVELS.index(level) >= LEVELS.index(what)
