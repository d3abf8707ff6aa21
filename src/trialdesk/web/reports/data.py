"""The report's data, read from the live database into plain frames for the core's analyses.

Each randomized participant gets a group label: for a blinded reader the coded group
(``trials.analysis_groups``) of the dummy allocation until the final unblinding, of the real one
after it; the arm's label for a reader who may see arms. Nothing else in the frames depends on the
arm. Only complete forms count (drafts are unfinished).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.utils import translation
from django.utils.translation import gettext

from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.web.capture.access import LOG_VISIT
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.analysis_groups import analysis_arm_by_participant, coded_group_labels
from trialdesk.web.trials.models import FinalUnblinding, Randomization, ScreeningRecord
from trialdesk.web.trials.presenters import arm_label

HORIZON = 28
CYTOKINES = ("il1b", "il6", "tnf_alpha", "il10")
CYTOKINE_LAST_DAY = 14
REPORT_FORMS = ("end_of_study", "respiratory", "cytokines", "infusion", "adverse_event")


@dataclass(frozen=True)
class ScreeningRow:
    participant: str
    eligible: bool
    consented: bool
    randomized: bool
    failed_criterion: str | None  # the first criterion not met (or applying), if ineligible


@dataclass(frozen=True)
class ReportData:
    """What the report analyses: groups in analysis order and one frame per kind of data."""

    groups: tuple[str, ...]
    dummy: bool  # the groups are the dummy allocation's, not the trial's
    screening: list[ScreeningRow]
    participants: pd.DataFrame  # one row per randomized participant
    cytokines: pd.DataFrame  # one row per participant and visit with a cytokines form
    adverse_events: pd.DataFrame  # one row per adverse event form
    withdrawn: set[str]


def _group_labels(show_arms: bool, language: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return arm code -> label shown, and the labels in analysis order (first vs second)."""
    arms = [arm.code for arm in get_protocol().design.arms]
    if show_arms:
        labels = {arm: arm_label(arm, language) for arm in arms}
        return labels, tuple(labels[arm] for arm in arms)  # protocol order: control last
    labels = {arm: _coded_group_text(label, language)
              for arm, label in coded_group_labels().items()}
    return labels, tuple(sorted(labels.values()))


def _coded_group_text(label: str, language: str) -> str:
    """A coded group ("group 1") in ``language`` ("grupo 1"): the number is the code, the word
    is the reader's (issue 19)."""
    with translation.override(language):
        return gettext("group %(number)s") % {"number": label.removeprefix("group ")}


def on_dummy_allocation(show_arms: bool) -> bool:
    """Return True while a reader's groups come from the dummy allocation: a reader who may not
    see arms, before the final unblinding."""
    return not show_arms and not FinalUnblinding.trial_unblinded()


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _measured(value: Any) -> float | str:
    """A cytokine as the analysis reads it: a number, or "<1.5" for a result below the assay's
    limit (the core's repeated-measures analysis replaces it by the protocol's rule)."""
    return censored_text(value) if is_censored(value) else _number(value)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _screening() -> list[ScreeningRow]:
    rows = []
    records = ScreeningRecord.objects.select_related(
        "participant__randomization", "participant__consent").order_by("pk")
    for record in records:
        participant = record.participant
        failed = next((c["code"] for c in record.criteria
                       if c["status"] == "missing"
                       or (c["kind"] == "inclusion" and c["status"] == "not_met")
                       or (c["kind"] == "exclusion" and c["status"] == "met")), None)
        rows.append(ScreeningRow(
            participant=participant.code, eligible=record.eligible,
            consented=hasattr(participant, "consent"),
            randomized=hasattr(participant, "randomization"), failed_criterion=failed))
    return rows


def _forms() -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Return (participant, visit, form) -> the values of each complete form."""
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    rows = FormInstance.objects.filter(
        form__in=REPORT_FORMS, status=COMPLETE, participant__randomization__isnull=False,
    ).values_list("participant__code", "visit", "form", "values").order_by("pk")
    for code, visit, form, values in rows:
        found.setdefault((code, visit, form), []).append(values or {})
    return found


def _pf(values: dict[str, Any] | None) -> float:
    if not values:
        return np.nan
    ratio = _number(values.get("pao2_fio2"))
    if np.isnan(ratio):
        pao2, fio2 = _number(values.get("pao2")), _number(values.get("fio2"))
        ratio = pao2 / fio2 if fio2 and not np.isnan(fio2) else np.nan
    return ratio


def _survival(eos: dict[str, Any], randomized: dt.date) -> tuple[float, float]:
    """Return (days to death or censoring, event) to the horizon; NaN where not known."""
    status = eos.get("vital_status_day28")
    if status == "dead":
        death = _date(eos.get("death_date"))
        if death is None:
            return np.nan, 1.0
        days = (death - randomized).days
        return (float(days), 1.0) if days <= HORIZON else (float(HORIZON), 0.0)
    if status == "alive":
        return float(HORIZON), 0.0
    last = _date(eos.get("last_contact_date"))  # lost to follow-up: censored when last seen
    if last is None:
        return np.nan, 0.0
    return float(min(max((last - randomized).days, 0), HORIZON)), 0.0


def load_report_data(*, show_arms: bool, language: str) -> ReportData:
    """Read screening, randomizations and forms; label groups for this reader."""
    labels, order = _group_labels(show_arms, language)
    dummy = on_dummy_allocation(show_arms)
    arm_of = analysis_arm_by_participant(real=not dummy)
    forms = _forms()
    cytokine_visits = [(visit.code, visit.day) for visit in get_protocol().visits
                       if "cytokines" in visit.forms and 0 <= visit.day <= CYTOKINE_LAST_DAY]
    randomizations = Randomization.objects.select_related("participant__site").order_by(
        "pk")
    people, cytokine_rows, ae_rows = [], [], []
    for r in randomizations:
        code = r.participant.code
        group = labels[arm_of[code]]
        randomized = r.randomized_at.date()
        eos = (forms.get((code, "day28", "end_of_study")) or [None])[0]
        time, event = _survival(eos, randomized) if eos else (np.nan, np.nan)
        status = eos.get("vital_status_day28") if eos else None
        people.append({
            "participant": code, "site": r.participant.site.code, "randomized": randomized,
            "group": group,
            "received": bool(forms.get((code, "day1", "infusion"))),
            "end_of_study": eos is not None,
            "vital_status": status,
            "dead": {"dead": 1.0, "alive": 0.0}.get(status or "", np.nan),
            "time": time, "event": event if not np.isnan(time) else np.nan,
            # derived from the ventilation episodes and stored with the form (capture.derived)
            "vfd": _number(eos.get("ventilator_free_days")) if eos else np.nan,
            "pf_day0": _pf((forms.get((code, "day0", "respiratory")) or [None])[0]),
            "pf_day7": _pf((forms.get((code, "day7", "respiratory")) or [None])[0]),
        })
        for visit, day in cytokine_visits:
            values = (forms.get((code, visit, "cytokines")) or [None])[0]
            if values is not None:
                cytokine_rows.append({"participant": code, "group": group, "day": day,
                                      **{c: _measured(values.get(c)) for c in CYTOKINES}})
        for values in forms.get((code, LOG_VISIT, "adverse_event"), []):
            ae_rows.append({
                "participant": code, "group": group,
                "serious": values.get("ae_serious") in (True, "yes", "true", 1),
                "grade": _number(values.get("ae_grade")),
                "related": values.get("ae_relatedness") in ("possible", "probable", "definite"),
            })
    columns = ["participant", "site", "randomized", "group", "received", "end_of_study",
               "vital_status", "dead", "time", "event", "vfd", "pf_day0", "pf_day7"]
    withdrawn = set(Discontinuation.objects.filter(kind=Discontinuation.WITHDREW).values_list(
        "participant__code", flat=True))
    return ReportData(
        groups=order,
        dummy=dummy,
        screening=_screening(),
        participants=pd.DataFrame(people, columns=columns),
        cytokines=pd.DataFrame(cytokine_rows,
                               columns=["participant", "group", "day", *CYTOKINES]),
        adverse_events=pd.DataFrame(ae_rows,
                                    columns=["participant", "group", "serious", "grade",
                                             "related"]),
        withdrawn=withdrawn,
    )
