"""DM, SUPPDM, DS, SV and EX: one subject's records to rows (plain dicts; ``frames.to_frame``
makes the datasets)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trialdesk.standards.sdtm.arms import NOT_DISCLOSED
from trialdesk.standards.sdtm.common import Study, day_and_epoch, iso
from trialdesk.standards.sdtm.frames import study_day
from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.standards.sdtm.terms import COUNTRY

BLINDED_INFUSION = "BLINDED STUDY INFUSION"


def dm_row(study: Study, subject: Subject, demographics: Mapping[str, Any]) -> dict[str, Any]:
    """DM: reference start = randomization (protocol day 0); treatment = the infusion."""
    arm = subject.arm
    infused = bool(subject.infusion_start)
    row = {
        "STUDYID": study.studyid, "DOMAIN": "DM", "USUBJID": study.usubjid(subject.code),
        "SUBJID": subject.code, "RFSTDTC": iso(subject.randomized_on),
        "RFENDTC": iso(subject.last_on), "RFXSTDTC": subject.infusion_start,
        "RFXENDTC": subject.infusion_end, "RFICDTC": iso(subject.consented_on),
        "RFPENDTC": iso(subject.last_on), "DTHDTC": iso(subject.death_on),
        "DTHFL": "Y" if subject.death_on else "", "SITEID": subject.site,
        "AGE": demographics.get("age"), "AGEU": "YEARS" if demographics.get("age") else "",
        "SEX": demographics.get("sex", "U") or "U",
        "COUNTRY": COUNTRY.get(subject.country, subject.country.upper()[:3]),
    }
    if arm is None:
        row["ARMNRS"] = NOT_DISCLOSED
    else:
        row.update(ARMCD=arm.code, ARM=arm.label)
        if infused:
            row.update(ACTARMCD=arm.code, ACTARM=arm.label)
        else:
            row["ARMNRS"] = "ASSIGNED, NOT TREATED"
    return row


def suppdm_rows(study: Study, subject: Subject) -> list[dict[str, Any]]:
    """What DM has no variable for: the randomization stratum, the consent's data-use flag, and
    that the arm is the dummy allocation's (so that no program mistakes it for the real one)."""
    base = {"STUDYID": study.studyid, "RDOMAIN": "DM", "USUBJID": study.usubjid(subject.code),
            "IDVAR": "", "IDVARVAL": "", "QEVAL": ""}
    rows = []
    if subject.stratum:
        rows.append({**base, "QNAM": "RANDSTRA", "QLABEL": "Randomization Stratum",
                     "QVAL": subject.stratum, "QORIG": "Assigned"})
    rows.append({**base, "QNAM": "DATAUSE", "QLABEL": "Consent Allows Use of Data",
                 "QVAL": subject.data_use, "QORIG": "CRF"})
    if subject.arm is not None and subject.arm.dummy:
        rows.append({**base, "QNAM": "ARMDUMMY", "QLABEL": "Arm of the Dummy Allocation",
                     "QVAL": "Y", "QORIG": "Assigned"})
    return rows


def ds_rows(study: Study, subject: Subject) -> list[dict[str, Any]]:
    """DS: consent and randomization (protocol milestones), then the disposition event."""
    usubjid, start = study.usubjid(subject.code), subject.randomized_on
    events = []
    if subject.consented_on:
        events.append(("INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", subject.consented_on))
    events.append(("RANDOMIZED", "PROTOCOL MILESTONE", start))
    if subject.disposition is not None:
        events.append((subject.disposition[0], "DISPOSITION EVENT", subject.disposition[1]))
    rows = []
    for seq, (term, category, when) in enumerate(events, start=1):
        day, epoch = day_and_epoch(when, start)
        rows.append({"STUDYID": study.studyid, "DOMAIN": "DS", "USUBJID": usubjid, "DSSEQ": seq,
                     "DSTERM": term, "DSDECOD": term, "DSCAT": category, "EPOCH": epoch,
                     "DSDTC": iso(when), "DSSTDTC": iso(when), "DSSTDY": day})
    return rows


def sv_rows(study: Study, subject: Subject, forms: Iterable[FormRecord]) -> list[dict[str, Any]]:
    """SV: each scheduled visit with some form, from its first to its last collection date."""
    dates: dict[str, list[Any]] = {}
    for form in forms:
        if study.visit_number(form.visit) is not None:
            dates.setdefault(form.visit, [])
            if form.collected_on is not None:
                dates[form.visit].append(form.collected_on)
    rows = []
    for visit in sorted(dates, key=study.visit_number):
        first = min(dates[visit]) if dates[visit] else None
        last = max(dates[visit]) if dates[visit] else None
        rows.append({"STUDYID": study.studyid, "DOMAIN": "SV",
                     "USUBJID": study.usubjid(subject.code), **study.visit_columns(visit),
                     "SVSTDTC": iso(first), "SVENDTC": iso(last),
                     "SVSTDY": study_day(first, subject.randomized_on)})
    return rows


def infusion_treatment(study: Study, arm_code: str | None) -> str:
    """EXTRT: the arm's own intervention (the one not every arm has) with the real allocation;
    otherwise one name for both arms, so that EX tells a blinded reader nothing."""
    if arm_code is None:
        return BLINDED_INFUSION
    arms = study.protocol.design.arms
    shared = set.intersection(*(set(a.interventions) for a in arms))
    arm = next((a for a in arms if a.code == arm_code), None)
    own = [code for code in (arm.interventions if arm else []) if code not in shared]
    names = {i.code: i.name.text("en") for i in study.protocol.design.interventions}
    return names[own[0]].upper() if own else BLINDED_INFUSION


def ex_rows(study: Study, subject: Subject, infusions: Iterable[FormRecord],
            real_arm: str | None) -> list[dict[str, Any]]:
    """EX: one record per infusion form (start and end as entered, the volume as the dose)."""
    rows = []
    for form in infusions:
        values = form.values
        start, end = values.get("infusion_start", ""), values.get("infusion_end", "")
        day, epoch = day_and_epoch(start or form.collected_on, subject.randomized_on)
        rows.append({"STUDYID": study.studyid, "DOMAIN": "EX",
                     "USUBJID": study.usubjid(subject.code),
                     "EXTRT": infusion_treatment(study, real_arm),
                     "EXDOSE": values.get("volume_infused"),
                     "EXDOSU": "mL" if values.get("volume_infused") is not None else "",
                     "EXDOSFRM": "SUSPENSION", "EXROUTE": "INTRAVENOUS",
                     **study.visit_columns(form.visit), "EPOCH": epoch,
                     "EXSTDTC": iso(start), "EXENDTC": iso(end), "EXSTDY": day,
                     "EXENDY": study_day(end, subject.randomized_on)})
    return rows
