"""The source data verification plan: which records a monitor verifies, and why.

Every record (a form entry, a consent, a safety-database event) is an :class:`Item`. An item is
verified in full (100%) when the protocol's ``[monitoring.full]`` says so: consent, eligibility,
primary outcome forms, serious adverse events, deaths. Of the other items a share is sampled:
each item (``unit = "form"``) or each participant (``unit = "participant"``) gets a draw, a
number in [0, 1) made from the plan's secret seed and the item's identity alone (SHA-256), and is
in when its draw is below the share. So

- the plan is reproducible: the same seed and records give the same plan, in any order;
- it is unpredictable without the seed, which is kept out of the published protocol;
- adding participants or forms never changes an earlier item's choice (no shuffling of a list);
- raising a site's share (risk-based) keeps every item chosen before and adds some;
- nothing about the arm enters: an item's identity is its participant code, visit, form and
  sequence (or record number), none of which depends on the allocation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trialdesk.protocol.monitoring import FieldMark, Monitoring

FORM, CONSENT, SCREENING, SAFETY_EVENT = "form", "consent", "screening", "adverse_event"
DISCONTINUATION = "discontinuation"

# why an item is in the plan; the first five are the 100% categories
CONSENT_REASON = "consent"
ELIGIBILITY = "eligibility"
PRIMARY_OUTCOME = "primary_outcome"
SERIOUS_ADVERSE_EVENT = "serious_adverse_event"
DEATH = "death"
SAMPLED = "sampled"
RISK_SAMPLED = "risk_sampled"
FULL_REASONS = (CONSENT_REASON, ELIGIBILITY, PRIMARY_OUTCOME, SERIOUS_ADVERSE_EVENT, DEATH)

_DRAW_SCALE = 2**64


@dataclass(frozen=True)
class Item:
    """One record a monitor may verify.

    ``source``: FORM (``visit``/``form``/``seq`` name the entry), CONSENT, SCREENING (the
    screening record eligibility was decided on), DISCONTINUATION (a death or a withdrawal:
    ``death`` says which), or SAFETY_EVENT
    (``seq`` is the event's number). ``values``: what the record holds, field by field (read to
    find serious events and deaths). ``serious``/``death``: for a safety-database event.
    """

    source: str
    participant: str
    site: str
    visit: str = ""
    form: str = ""
    seq: int = 1
    values: Mapping[str, object] | None = None
    serious: bool = False
    death: bool = False

    @property
    def key(self) -> str:
        """The item's identity, stable for its life: what its draw and its records are keyed by."""
        if self.source == FORM:
            return f"{self.participant}/{self.visit}/{self.form}/{self.seq}"
        if self.source in (CONSENT, SCREENING, DISCONTINUATION):
            return f"{self.participant}/{self.source}"
        return f"{self.participant}/adverse_event/{self.seq}"


@dataclass(frozen=True)
class PlannedItem:
    """An item of the plan: why it is in, and whether by the 100% rule or by sampling."""

    item: Item
    reason: str
    draw: float | None = None  # the sampled items' draw (shown, so a monitor can check it)

    @property
    def full(self) -> bool:
        return self.reason in FULL_REASONS


def draw(seed: str, key: str) -> float:
    """The draw of ``key`` under ``seed``: a number in [0, 1), the same on every machine."""
    digest = hashlib.sha256(f"{seed}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _DRAW_SCALE


def _text(value: object) -> str:
    # a yes/no field is stored as a boolean; the protocol writes its values as "yes"/"no"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _marked(item: Item, marks: Iterable[FieldMark]) -> bool:
    values = item.values or {}
    return any(mark.form == item.form and mark.field in values
               and _text(values[mark.field]) in mark.values for mark in marks)


def full_reason(plan: Monitoring, item: Item) -> str | None:
    """Why ``item`` is verified in full, or None if it is not one of the 100% items."""
    full = plan.full
    if item.source == CONSENT:
        return CONSENT_REASON if full.consent else None
    if item.source == SCREENING:
        return ELIGIBILITY if full.screening else None
    if item.source == DISCONTINUATION:
        # a death is verified in full; a withdrawal is sampled as any other record
        return DEATH if item.death and (full.deaths or full.safety_database) else None
    if item.source == SAFETY_EVENT:
        if not full.safety_database:
            return None
        return DEATH if item.death else SERIOUS_ADVERSE_EVENT if item.serious else None
    if _marked(item, full.deaths):
        return DEATH
    if _marked(item, full.serious_adverse_events):
        return SERIOUS_ADVERSE_EVENT
    if item.form in full.eligibility:
        return ELIGIBILITY
    if item.form in full.primary_outcome:
        return PRIMARY_OUTCOME
    return None


def site_shares(plan: Monitoring, forms_by_site: Mapping[str, int],
                queries_by_site: Mapping[str, int]) -> dict[str, float]:
    """The share sampled at each site: the base share, or the risk share at a site whose entered
    forms raised at least ``risk.query_rate`` queries each (and that has enough forms to judge)."""
    shares = {}
    for site, forms in forms_by_site.items():
        share = plan.share
        risk = plan.risk
        if (risk is not None and forms >= risk.min_forms
                and queries_by_site.get(site, 0) / forms >= risk.query_rate):
            share = risk.share
        shares[site] = share
    return shares


def sample_key(plan: Monitoring, item: Item) -> str:
    """What is drawn for ``item``: the item itself, or its participant (``unit = "participant"``:
    all of a sampled participant's records are verified)."""
    return item.participant if plan.unit == "participant" else item.key


def build_plan(plan: Monitoring, items: Iterable[Item], *, seed: str,
               shares: Mapping[str, float] | None = None) -> list[PlannedItem]:
    """The items to verify, in the order given: the 100% ones and the sampled ones.

    ``seed``: the plan's secret (not in the published protocol: a site that knew it could tell
    which of its forms will be verified). ``shares``: the share per site (:func:`site_shares`); a
    site not named gets the base share. The result depends on the seed, the items and the shares
    only, never on their order.
    """
    if not seed:
        raise ValueError("the plan needs its secret seed")
    planned = []
    for item in items:
        reason = full_reason(plan, item)
        if reason is not None:
            planned.append(PlannedItem(item, reason))
            continue
        share = (shares or {}).get(item.site, plan.share)
        value = draw(seed, sample_key(plan, item))
        if value < plan.share:
            planned.append(PlannedItem(item, SAMPLED, value))
        elif value < share:
            planned.append(PlannedItem(item, RISK_SAMPLED, value))
    return planned
