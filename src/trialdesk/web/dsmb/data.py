"""The DSMB's figures at a data cut-off, read from the live database.

Only what was known by the cut-off counts: participants randomized on or before it, adverse
events whose onset and whose awareness (the investigator's) fall on or before it, infusions that
started on or before it. The open session's figures are pooled; the closed session's are by arm
(the real allocation: only the unblinded DSMB reads them). The numbers come from the safety
core: :func:`trialdesk.safety.incidence.incidence` (Clopper-Pearson) and
:func:`~trialdesk.safety.incidence.risk_difference` (Newcombe), and the stopping rule's
:mod:`trialdesk.safety.boundary`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trialdesk.safety import boundary, rules
from trialdesk.safety.incidence import incidence, risk_difference
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import Randomization

CATEGORIES = ("any_ae", "sae", "grade_3_plus", "related", "death")
CATEGORY_LABELS = {
    "any_ae": _("Any adverse event"),
    "sae": _("Serious adverse event"),
    "grade_3_plus": _("Grade 3 or higher"),
    "related": _("Related adverse event"),
    "death": _("Death"),
}
INFUSION_FORM, INFUSION_START = "infusion", "infusion_start"


def is_death(event: AdverseEvent) -> bool:
    return event.death or event.grade == 5 or event.outcome == "fatal"


def categories_of(event: AdverseEvent) -> set[str]:
    """The report's categories an event falls in."""
    found = {"any_ae"}
    if event.criteria:
        found.add("sae")
    if event.grade >= 3:
        found.add("grade_3_plus")
    if event.relatedness in rules.RELATED:
        found.add("related")
    if is_death(event):
        found.add("death")
    return found


def randomized_by(cutoff: dt.date | None) -> dict[str, str]:
    """Participant code -> real arm, for the participants randomized on or before ``cutoff``."""
    rows = Randomization.objects.values_list("participant__code", "slot__arm", "randomized_at")
    return {code: arm for code, arm, at in rows if cutoff is None or at.date() <= cutoff}


def events_by(cutoff: dt.date | None) -> list[AdverseEvent]:
    """The adverse events known by ``cutoff`` (onset and investigator awareness on or before)."""
    events = AdverseEvent.objects.select_related("participant", "site").order_by(
        "onset_date", "pk")
    if cutoff is not None:
        events = events.filter(onset_date__lte=cutoff)
    return [event for event in events
            if cutoff is None or event.investigator_aware_at.date() <= cutoff]


def treated_by(cutoff: dt.date | None) -> set[str]:
    """The participants with an infusion record whose infusion started by ``cutoff``."""
    treated = set()
    for code, values, created in FormInstance.objects.filter(form=INFUSION_FORM).values_list(
            "participant__code", "values", "created_at"):
        start = _date((values or {}).get(INFUSION_START)) or created.date()
        if cutoff is None or start <= cutoff:
            treated.add(code)
    return treated


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def participants_with(events: list[AdverseEvent], randomized: dict[str, str]
                      ) -> dict[str, set[str]]:
    """Category -> the participants (randomized ones) with at least one event of it."""
    found: dict[str, set[str]] = {name: set() for name in CATEGORIES}
    for event in events:
        code = event.participant.code
        if code in randomized:
            for name in categories_of(event):
                found[name].add(code)
    return found


@dataclass
class OpenFigures:
    cutoff: dt.date
    enrolled: int
    counts: dict[str, int]
    enrolled_by_site: dict[str, int] = field(default_factory=dict)
    randomized_on: list[tuple[str, dt.date]] = field(default_factory=list)  # (site, day)


def open_figures(cutoff: dt.date) -> OpenFigures:
    """Pooled: participants randomized (by site, and each one's site and day for the enrollment
    curve), and with each kind of event; no arm anywhere."""
    randomized = randomized_by(cutoff)
    found = participants_with(events_by(cutoff), randomized)
    days = randomized_days(randomized)
    sites: dict[str, int] = {}
    for site, _day in days:
        sites[site] = sites.get(site, 0) + 1
    return OpenFigures(cutoff, len(randomized), {name: len(found[name]) for name in CATEGORIES},
                       dict(sorted(sites.items())), days)


def randomized_days(randomized: dict[str, str]) -> list[tuple[str, dt.date]]:
    """Each of ``randomized`` (code -> arm) as (site, day randomized), in randomization order:
    the enrollment curve's data, pooled (no arm), the same in the open and closed reports."""
    return [(site, at.date()) for code, site, at in
            Randomization.objects.order_by("randomized_at", "pk").values_list(
                "participant__code", "participant__site__code", "randomized_at")
            if code in randomized]


@dataclass
class RuleStatus:
    arm: str
    treated: int
    events: int
    probability: float | None
    min_events: int | None
    tripped: bool


def _counts_at(rule: Any, cutoff: dt.date) -> tuple[int, int]:
    """(treated in the watched arm, of them with the defined toxicity) known by ``cutoff``."""
    randomized = randomized_by(cutoff)
    treated = {code for code in treated_by(cutoff) if randomized.get(code) == rule.arm}
    toxic = {event.participant.code for event in events_by(cutoff)
             if event.participant.code in treated and is_toxicity(rule, event)}
    return len(treated), len(toxic)


def _counts_now(rule: Any) -> tuple[int, int]:
    """(treated, toxic) on all data now: counted by the database, so that evaluating the rule
    costs the same few milliseconds at 40 participants or 10,000 (it runs inside the write of
    an adverse event)."""
    infused = FormInstance.objects.filter(form=INFUSION_FORM).values("participant_id")
    watched = Randomization.objects.filter(slot__arm=rule.arm, participant_id__in=infused)
    candidates = AdverseEvent.objects.filter(
        participant_id__in=watched.values("participant_id")).filter(_may_be_toxicity(rule))
    toxic = {event.participant_id for event in candidates.only(
        "participant_id", "grade", "relatedness", *rules.SERIOUSNESS_CRITERIA)
        if is_toxicity(rule, event)}
    return watched.count(), len(toxic)


def _may_be_toxicity(rule: Any) -> Q:
    """A superset of the toxicity definition the database can filter on (the definition itself
    is applied by :func:`is_toxicity`, the one place it is written)."""
    found = Q(pk__in=[])
    if rule.toxicity.min_grade is not None:
        found |= Q(grade__gte=rule.toxicity.min_grade)
    if rule.toxicity.serious_related:
        found |= Q(relatedness__in=rules.RELATED)
    return found


def is_toxicity(rule: Any, event: AdverseEvent) -> bool:
    """Whether an event is the stopping rule's defined toxicity."""
    return rule.toxicity.counts(grade=event.grade, serious=bool(event.criteria),
                                related=event.relatedness in rules.RELATED)


def may_change_the_rule(event: AdverseEvent | None = None, *,
                        infused_participant_id: int | None = None) -> bool:
    """Whether a write can raise the rule's count of participants with the toxicity: a saved
    event that is the toxicity, or a first infusion record of a participant who has one.

    Decided on facts the writer already knows (the event, the participant's events and
    infusions), never the arm, so that the work a blinded user's request does (and so its
    time) is the same in both arms."""
    rule = get_protocol().safety_monitoring
    if rule is None:
        return False
    if event is not None:
        return is_toxicity(rule, event)
    infusions = FormInstance.objects.filter(form=INFUSION_FORM,
                                            participant_id=infused_participant_id)
    if infusions.count() > 1:  # treated already: counted before
        return False
    events = AdverseEvent.objects.filter(participant_id=infused_participant_id).filter(
        _may_be_toxicity(rule))
    return any(is_toxicity(rule, candidate) for candidate in events)


def rule_status(cutoff: dt.date | None = None) -> RuleStatus | None:
    """The protocol's stopping rule on the data known by ``cutoff`` (None: all data now)."""
    rule = get_protocol().safety_monitoring
    if rule is None:
        return None
    n, x = _counts_now(rule) if cutoff is None else _counts_at(rule, cutoff)
    a, b = rule.prior
    if n == 0:
        return RuleStatus(rule.arm, 0, 0, None, None, False)
    probability = boundary.posterior_probability_above(x, n, a, b, rule.threshold)
    return RuleStatus(rule.arm, n, x, probability,
                      boundary.min_events(n, a, b, rule.threshold, rule.cutoff),
                      probability > rule.cutoff)


@dataclass
class ArmFigures:
    arm: str
    n: int
    incidences: dict[str, Any]  # category -> Incidence or None (no participant yet)


@dataclass
class ClosedFigures:
    cutoff: dt.date
    arms: list[ArmFigures]
    differences: dict[str, Any]  # category -> RiskDifference (first arm - second) or None
    sae_listing: list[dict[str, Any]]
    death_listing: list[dict[str, Any]]
    rule: RuleStatus | None
    bop2: Any = None  # the BOP2 rule look by look (dsmb.bop2.Bop2Figures), if declared
    # the open report's enrollment curve, drawn the same way (pooled: site and day)
    randomized_on: list[tuple[str, dt.date]] = field(default_factory=list)


def _listing_row(event: AdverseEvent, arm: str) -> dict[str, Any]:
    return {"event": event.key, "participant": event.participant.code, "site": event.site.code,
            "arm": arm, "term": event.term, "onset": event.onset_date.isoformat(),
            "grade": event.grade, "criteria": ", ".join(sorted(event.criteria)) or "-",
            "criteria_codes": sorted(event.criteria),
            "relatedness": event.relatedness, "outcome": event.outcome}


def closed_figures(cutoff: dt.date) -> ClosedFigures:
    """By arm (protocol order): participants, incidences with Clopper-Pearson intervals, the
    difference first - second arm with Newcombe's interval, SAE and death listings, the rule,
    and the BOP2 rule's looks (if the protocol declares one)."""
    from trialdesk.web.dsmb.bop2 import bop2_figures  # it reads this module's helpers

    randomized = randomized_by(cutoff)
    events = events_by(cutoff)
    found = participants_with(events, randomized)
    arms = [arm.code for arm in get_protocol().design.arms]
    figures = []
    for arm in arms:
        members = {code for code, given in randomized.items() if given == arm}
        n = len(members)
        figures.append(ArmFigures(arm, n, {
            name: incidence(len(found[name] & members), n) if n else None
            for name in CATEGORIES}))
    differences: dict[str, Any] = dict.fromkeys(CATEGORIES)
    if len(figures) == 2 and figures[0].n and figures[1].n:
        first, second = figures
        for name in CATEGORIES:
            differences[name] = risk_difference(
                first.incidences[name].events, first.n, second.incidences[name].events, second.n)
    listed = [event for event in events if event.participant.code in randomized]
    return ClosedFigures(
        cutoff, figures, differences,
        [_listing_row(e, randomized[e.participant.code]) for e in listed if e.criteria],
        [_listing_row(e, randomized[e.participant.code]) for e in listed if is_death(e)],
        rule_status(cutoff), bop2_figures(cutoff), randomized_days(randomized))
