"""What a simulated trial leaves in its folder besides the database: the analysis report, the data
exports and the CONSORT numbers.

- ``report.html``: the standalone analysis report as the trial's analyst reads it then (coded
  groups while blinded, arm labels once the trial is unblinded);
- ``exports/forms/<form>.csv``: every form's entered values, one row per form instance; a result
  beyond an assay's limit as CDISC writes it (``<1.5``);
- ``exports/lb.csv``: the assay results of forms whose fields declare limits of quantification
  (the cytokines) in CDISC SDTM LB's naming: below the LLOQ, LBORRES and LBSTRESC ``<1.5`` and
  LBSTRESN empty, the limit in LBLLOQ (no arm in it: written while blinded too);
- ``exports/adsl.csv``, ``exports/adtte.csv`` and ``exports/adlb.csv`` (after the final
  unblinding only): the subject-level (with VFD28, the derived ventilator-free days),
  time-to-event and laboratory analysis datasets in CDISC ADaM's naming, derived from the
  records on their own (not from the report), so that ``trialdesk analyze`` on them checks it;
  in ADLB a result below the LLOQ has AVALC ``<1.5``, AVAL the protocol's substitute (LLOQ/2)
  and BLQFL ``Y``;
- ``consort.json``: the CONSORT numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from trialdesk.protocol.capture import FormField
from trialdesk.protocol.censored import censored_text, is_censored, substitute
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation.consort import consort_counts
from trialdesk.web.trials.consent_state import data_use_flags
from trialdesk.web.trials.models import FinalUnblinding, Participant, Randomization
from trialdesk.web.trials.presenters import arm_label

HORIZON = 28
PRIMARY_PARAMCD = "TTDTH28"


def write_outputs(data_dir: Path, analyst: Actor) -> dict[str, Path]:
    """Write the report and the exports into ``data_dir``; return each output's path by name."""
    unblinded = FinalUnblinding.trial_unblinded()
    exports = data_dir / "exports"
    written = {"report": _write_report(data_dir / "report.html", analyst)}
    written.update(_write_forms(exports / "forms"))
    written["lb"] = _write_csv(exports / "lb.csv", assay_results(), LB_COLUMNS)
    if unblinded:
        subjects = analysis_subjects()
        written["adsl"] = _write_csv(exports / "adsl.csv", subjects)
        written["adtte"] = _write_csv(exports / "adtte.csv", [_time_to_death(s) for s in subjects])
        written["adlb"] = _write_csv(exports / "adlb.csv", lab_analysis(subjects), ADLB_COLUMNS)
    consort = data_dir / "consort.json"
    consort.write_text(json.dumps(consort_counts(by_arm=unblinded), indent=2, default=str) + "\n")
    written["consort"] = consort
    return written


def _write_report(path: Path, analyst: Actor) -> Path:
    from trialdesk.web.reports.views import report_context

    with translation.override("en"):
        html = render_to_string("reports/standalone.html", report_context(analyst))
    path.write_text(html, encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _cell(value: Any) -> Any:
    if is_censored(value):  # beyond an assay's limit: "<1.5", as CDISC's LBORRES writes it
        return censored_text(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _write_forms(folder: Path) -> dict[str, Path]:
    """One CSV per form of the protocol: keys, status, version, then the fields in order."""
    written = {}
    data_use = _data_use()
    for form in get_protocol().forms:
        columns = [field.code for field in form.fields]
        rows = []
        instances = (FormInstance.objects.filter(form=form.code)
                     .order_by("participant__code", "visit", "seq")
                     .values_list("participant__code", "participant__site__code", "visit", "seq",
                                  "status", "version", "values"))
        for code, site, visit, seq, status, version, values in instances.iterator():
            values = values or {}
            rows.append({"participant": code, "site": site, "visit": visit, "seq": seq,
                         "status": status, "version": version,
                         "consent_data_use": data_use.get(code, "Y"),
                         **{column: _cell(values.get(column)) for column in columns}})
        path = _write_csv(folder / f"{form.code}.csv", rows,
                          ["participant", "site", "visit", "seq", "status", "version",
                           "consent_data_use", *columns])
        written[f"forms/{form.code}"] = path
    return written


def _data_use() -> dict[str, str]:
    """Y/N by participant code: whether their consent lets the data collected be used (issue 17:
    N after a withdrawal or refusal that took it back)."""
    codes = dict(Participant.objects.values_list("pk", "code"))
    return {codes[pid]: "Y" if flag else "N" for pid, flag in data_use_flags(codes).items()}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def analysis_subjects() -> list[dict[str, Any]]:
    """ADSL: one row per randomized participant, intention to treat, by the arm randomized.

    DTH28FL/DTH28FN: died by day 28 after randomization (Y/N and 1/0), empty when the end-of-study
    form does not say (lost to follow-up). Only complete end-of-study forms count.
    """
    protocol = get_protocol()
    study = protocol.registry.nct_id
    end_of_study = {
        code: values or {} for code, values in FormInstance.objects.filter(
            form="end_of_study", visit="day28", seq=1, status=COMPLETE,
        ).values_list("participant__code", "values")}
    infused = set(FormInstance.objects.filter(form="infusion", status=COMPLETE).values_list(
        "participant__code", flat=True))
    rows = []
    data_use = _data_use()
    randomizations = Randomization.objects.select_related("participant__site", "slot").order_by(
        "participant__code")
    for randomization in randomizations:
        participant = randomization.participant
        randomized = randomization.randomized_at.date()
        eos = end_of_study.get(participant.code, {})
        status = eos.get("vital_status_day28")
        death = _date(eos.get("death_date")) if status == "dead" else None
        dead_28 = None if status not in ("dead", "alive") else status == "dead" and (
            death is None or (death - randomized).days <= HORIZON)
        arm = arm_label(randomization.slot.arm, "en")
        rows.append({
            "STUDYID": study, "USUBJID": f"{study}-{participant.code}",
            "SUBJID": participant.code, "SITEID": participant.site.code,
            "RANDDT": randomized.isoformat(), "TRT01P": arm, "TRT01A": arm, "ITTFL": "Y",
            "SAFFL": "Y" if participant.code in infused else "N",
            "DTHFL": "Y" if status == "dead" else "",
            "DTHDT": death.isoformat() if death else "",
            "LSTALVDT": (_date(eos.get("last_contact_date")) or "") if status not in (
                "dead", "alive") else "",
            "DTH28FL": "" if dead_28 is None else ("Y" if dead_28 else "N"),
            "DTH28FN": "" if dead_28 is None else int(dead_28),
            # derived from the ventilation episodes by the protocol's rule (capture.derived)
            "VFD28": _cell(eos.get("ventilator_free_days")),
            # the consent's data-use flag: N when the participant took back the use of their data
            "DATAUSE": data_use.get(participant.code, "Y"),
        })
    return rows


LB_COLUMNS = ["STUDYID", "DOMAIN", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBORRES",
              "LBORRESU", "LBSTRESC", "LBSTRESN", "LBSTRESU", "LBLLOQ", "LBULOQ", "VISIT",
              "LBDY"]
ADLB_COLUMNS = ["STUDYID", "USUBJID", "SITEID", "TRT01P", "PARAMCD", "PARAM", "AVISIT", "ADY",
                "AVAL", "AVALC", "BLQFL", "LLOQ", "DTYPE"]


def _assay_fields() -> list[tuple[str, FormField]]:
    """(form, field) of every entered number on a form where some field declares an assay
    limit: those forms hold assay results (the cytokines)."""
    found = []
    for form in get_protocol().forms:
        if any(f.lloq is not None or f.uloq is not None for f in form.fields):
            found += [(form.code, f) for f in form.fields
                      if f.type in ("integer", "decimal") and f.derived is None]
    return found


def _assay_rows() -> list[tuple[str, str, dt.date, FormField, Any]]:
    """(participant, visit, randomization date, field, stored value) of complete assay forms,
    in participant, visit-day and field order."""
    fields = _assay_fields()
    days = {visit.code: visit.day for visit in get_protocol().visits}
    randomized = dict(Randomization.objects.values_list("participant__code", "randomized_at"))
    rows = []
    for form in dict.fromkeys(code for code, _ in fields):
        instances = FormInstance.objects.filter(form=form, status=COMPLETE).values_list(
            "participant__code", "visit", "values")
        for code, visit, values in instances:
            for form_code, field in fields:
                value = (values or {}).get(field.code)
                if form_code == form and value is not None and code in randomized:
                    rows.append((code, visit, randomized[code].date(), field, value))
    rows.sort(key=lambda row: (row[0], days.get(row[1], 0), row[3].code))
    return rows


def _plain(number: float) -> str:
    return f"{number:g}"


def assay_results() -> list[dict[str, Any]]:
    """SDTM LB: one row per assay result of a randomized participant. A result beyond a limit
    is character only (LBORRES = LBSTRESC = "<1.5", LBSTRESN empty), as SDTMIG asks."""
    study = get_protocol().registry.nct_id
    days = {visit.code: visit.day for visit in get_protocol().visits}
    rows, seq = [], {}
    for code, visit, _randomized, field, value in _assay_rows():
        seq[code] = seq.get(code, 0) + 1
        text = censored_text(value) if is_censored(value) else _plain(float(value))
        rows.append({
            "STUDYID": study, "DOMAIN": "LB", "USUBJID": f"{study}-{code}", "LBSEQ": seq[code],
            "LBTESTCD": field.code.upper()[:8], "LBTEST": field.label.text("en"),
            "LBORRES": text, "LBORRESU": field.unit or "", "LBSTRESC": text,
            "LBSTRESN": "" if is_censored(value) else float(value),
            "LBSTRESU": field.unit or "", "LBLLOQ": "" if field.lloq is None else field.lloq,
            "LBULOQ": "" if field.uloq is None else field.uloq, "VISIT": visit,
            "LBDY": days.get(visit, ""),
        })
    return rows


def lab_analysis(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ADLB: the assay results for analysis. AVAL is what the analysis uses (below the LLOQ the
    protocol's substitute, LLOQ/2 by default, flagged BLQFL = "Y" and DTYPE = "LLOQ/2"), AVALC
    the result as reported."""
    arms = {s["SUBJID"]: s for s in subjects}
    days = {visit.code: visit.day for visit in get_protocol().visits}
    rows = []
    for code, visit, _randomized, field, value in _assay_rows():
        subject = arms.get(code)
        if subject is None:
            continue
        below = is_censored(value) and value["censored"] == "<"
        rule = field.substitution_rule
        rows.append({
            "STUDYID": subject["STUDYID"], "USUBJID": subject["USUBJID"],
            "SITEID": subject["SITEID"], "TRT01P": subject["TRT01P"],
            "PARAMCD": field.code.upper()[:8],
            "PARAM": f"{field.label.text('en')} ({field.unit})" if field.unit else
            field.label.text("en"),
            "AVISIT": visit, "ADY": days.get(visit, ""),
            "AVAL": substitute(value, rule),
            "AVALC": censored_text(value) if is_censored(value) else _plain(float(value)),
            "BLQFL": "Y" if below else "",
            "LLOQ": "" if field.lloq is None else field.lloq,
            "DTYPE": {"half": "LLOQ/2", "lod": "LLOQ", "sqrt2": "LLOQ/SQRT2"}[rule] if below
            else "",
        })
    return rows


def _time_to_death(subject: dict[str, Any]) -> dict[str, Any]:
    """ADTTE row: days from randomization to death by day 28 (CNSR 0), else censored (CNSR 1)
    at day 28 if alive, on the last day known alive if lost; empty when nothing is known."""
    start = dt.date.fromisoformat(subject["RANDDT"])
    if subject["DTH28FL"] == "Y" and subject["DTHDT"]:
        end, censored, what = dt.date.fromisoformat(subject["DTHDT"]), 0, "DEATH"
    elif subject["DTH28FL"] == "N":
        end, censored, what = start + dt.timedelta(days=HORIZON), 1, "ALIVE AT DAY 28"
    elif subject["LSTALVDT"]:
        end, censored, what = dt.date.fromisoformat(str(subject["LSTALVDT"])), 1, "LAST KNOWN ALIVE"
    else:
        end, censored, what = None, "", ""
    days = "" if end is None else min(max((end - start).days, 0), HORIZON)
    if end is not None and (end - start).days > HORIZON:
        censored, what = 1, "ALIVE AT DAY 28"
    return {
        "STUDYID": subject["STUDYID"], "USUBJID": subject["USUBJID"], "SITEID": subject["SITEID"],
        "TRT01P": subject["TRT01P"], "PARAMCD": PRIMARY_PARAMCD,
        "PARAM": "Time to death up to day 28 (days)", "STARTDT": subject["RANDDT"],
        "ADT": "" if end is None else min(end, start + dt.timedelta(days=HORIZON)).isoformat(),
        "AVAL": days, "CNSR": censored, "EVNTDESC": what,
    }
