"""The BOP2 line of the DSMB's closed report: the watched arm's counts at each look against the
protocol's BOP2 boundaries (``[bop2_monitoring]``), on the data known by the cut-off.

Only the closed (unblinded) report shows it: the counts are of one arm. A participant of the
watched arm is evaluable once the efficacy form's field is filled (the form recorded by the
cut-off); participants are taken in the order their forms were recorded (the core:
:mod:`trialdesk.stats.design.bop2_monitor`). Toxicity is any adverse event known by the cut-off
that meets the rule's definition (:func:`trialdesk.web.dsmb.data.is_toxicity`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trialdesk.stats.design.bop2_monitor import LookStatus, look_statuses
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import data


@dataclass(frozen=True)
class Bop2Figures:
    rule: Any  # the protocol's Bop2Monitoring
    evaluable: int
    looks: list[LookStatus]


def evaluable_outcomes(rule: Any, cutoff: dt.date) -> list[tuple[str, bool, bool]]:
    """(participant, efficacy, toxicity) for the watched arm's evaluable participants by
    ``cutoff``, in the order their efficacy forms were recorded."""
    randomized = data.randomized_by(cutoff)
    watched = {code for code, arm in randomized.items() if arm == rule.arm}
    first: dict[str, tuple[dt.datetime, Any]] = {}
    forms = FormInstance.objects.filter(form=rule.efficacy.form).values_list(
        "participant__code", "created_at", "values").order_by("created_at", "pk")
    for code, created, values in forms:
        value = (values or {}).get(rule.efficacy.field)
        if (code in watched and code not in first and value not in (None, "")
                and created.date() <= cutoff):
            first[code] = (created, value)
    toxic = {event.participant.code for event in data.events_by(cutoff)
             if event.participant.code in first and data.is_toxicity(rule, event)}
    ordered = sorted(first.items(), key=lambda item: (item[1][0], item[0]))
    allowed = set(rule.efficacy.values)
    return [(code, str(value) in allowed, code in toxic) for code, (_, value) in ordered]


def bop2_figures(cutoff: dt.date) -> Bop2Figures | None:
    """The rule look by look at ``cutoff``; None when the protocol declares no BOP2 rule."""
    rule = get_protocol().bop2_monitoring
    if rule is None:
        return None
    outcomes = [(eff, tox) for _, eff, tox in evaluable_outcomes(rule, cutoff)]
    return Bop2Figures(rule, len(outcomes),
                       look_statuses(rule.problem(), rule.lam, rule.gamma, outcomes))
