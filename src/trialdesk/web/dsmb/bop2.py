"""The BOP2 line of the DSMB's closed report: the watched arm's counts at each look against the
protocol's BOP2 boundaries (``[bop2_monitoring]``), on the data known by the cut-off.

Only the closed (unblinded) report shows it: the counts are of one arm. The participants are
those of the watched arm treated by the cut-off (an infusion recorded, as for the safety rule),
taken in the order they were randomized. One is evaluable once the efficacy form's field is
filled by the cut-off; the look at ``n`` is reached when the first ``n`` randomized are all
evaluable: an outcome still due holds the looks back (taking participants in the order their
outcomes became known would count early deaths first and bias the first looks towards
stopping), while one overdue by the cut-off (past the day and window of the form's visit) is
left out as missing, so that a lost form does not hold the rule back for good. Toxicity is any
adverse event known by
the cut-off that meets the rule's definition (:func:`trialdesk.web.dsmb.data.is_toxicity`). The
rule itself is the core's: :mod:`trialdesk.stats.design.bop2_monitor`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trialdesk.stats.design.bop2_monitor import LookStatus, look_statuses
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import data
from trialdesk.web.trials.models import Randomization


@dataclass(frozen=True)
class Bop2Figures:
    rule: Any  # the protocol's Bop2Monitoring
    treated: int  # watched arm, treated by the cut-off
    evaluable: int  # of them, with the efficacy outcome recorded
    in_order: int  # the first randomized that are all evaluable: the looks' reach
    missing: int  # left out: no outcome though overdue by the cut-off
    looks: list[LookStatus]


def due_days(form: str) -> int | None:
    """Days after randomization by which the form is due (its latest visit's day and window);
    None if no visit holds it (then an outcome is never overdue)."""
    days = [visit.day + visit.window_after for visit in get_protocol().visits
            if form in visit.forms]
    return max(days) if days else None


def outcomes_in_order(rule: Any, cutoff: dt.date
                      ) -> tuple[list[tuple[str, Any, bool]], set[str]]:
    """The watched arm's treated participants by ``cutoff`` in randomization order, each with its
    efficacy value (None: not recorded yet) and whether that outcome is overdue, and the set of
    those with the toxicity."""
    treated = data.treated_by(cutoff)
    rows = Randomization.objects.filter(slot__arm=rule.arm).order_by(
        "randomized_at", "pk").values_list("participant__code", "randomized_at")
    due = due_days(rule.efficacy.form)
    order = [(code, due is not None and at.date() + dt.timedelta(days=due) < cutoff)
             for code, at in rows if code in treated and at.date() <= cutoff]
    members = {code for code, _ in order}
    value: dict[str, Any] = {}
    forms = FormInstance.objects.filter(form=rule.efficacy.form).order_by(
        "created_at", "pk").values_list("participant__code", "created_at", "values")
    for code, created, values in forms:
        recorded = (values or {}).get(rule.efficacy.field)
        if (code in members and code not in value and recorded not in (None, "")
                and created.date() <= cutoff):
            value[code] = recorded
    toxic = {event.participant.code for event in data.events_by(cutoff)
             if event.participant.code in members and data.is_toxicity(rule, event)}
    return [(code, value.get(code), overdue) for code, overdue in order], toxic


def bop2_figures(cutoff: dt.date) -> Bop2Figures | None:
    """The rule look by look at ``cutoff``; None when the protocol declares no BOP2 rule."""
    rule = get_protocol().bop2_monitoring
    if rule is None:
        return None
    ordered, toxic = outcomes_in_order(rule, cutoff)
    allowed = set(rule.efficacy.values)
    prefix: list[tuple[bool, bool]] = []
    missing = 0
    for code, value, overdue in ordered:
        if value is None and overdue:
            missing += 1  # lost: left out
            continue
        if value is None:  # still due: the looks wait for it
            break
        prefix.append((str(value) in allowed, code in toxic))
    evaluable = sum(1 for _, value, _ in ordered if value is not None)
    return Bop2Figures(rule, len(ordered), evaluable, len(prefix), missing,
                       look_statuses(rule.problem(), rule.lam, rule.gamma, prefix))
