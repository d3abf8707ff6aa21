"""The trial design datasets from the protocol: TE (elements), TA (arms), TV (visits) and TS
(trial summary, with the TS parameter codes of CDISC CT)."""

from __future__ import annotations

from typing import Any

from trialdesk.standards.sdtm.common import FOLLOW_UP, SCREENING, TREATMENT, Study, english
from trialdesk.standards.sdtm.long_text import split_text

PHASE = {("PHASE1",): "PHASE I TRIAL", ("PHASE2",): "PHASE II TRIAL",
         ("PHASE1", "PHASE2"): "PHASE I/II TRIAL", ("PHASE3",): "PHASE III TRIAL",
         ("PHASE2", "PHASE3"): "PHASE II/III TRIAL", ("PHASE4",): "PHASE IV TRIAL"}


def _element_code(arm_code: str) -> str:
    return arm_code.upper()[:8]


def te_rows(study: Study) -> list[dict[str, Any]]:
    base = {"STUDYID": study.studyid, "DOMAIN": "TE"}
    rows = [{**base, "ETCD": "SCRN", "ELEMENT": "Screening",
             "TESTRL": "Informed consent", "TEENRL": "Randomization"}]
    for arm in study.protocol.design.arms:
        rows.append({**base, "ETCD": _element_code(arm.code), "ELEMENT": arm.label.text("en"),
                     "TESTRL": "Randomization", "TEENRL": "End of the study infusion (day 1)",
                     "TEDUR": "P2D"})
    rows.append({**base, "ETCD": "FU", "ELEMENT": "Follow-up", "TESTRL": "End of the infusion",
                 "TEENRL": "Day 28 after randomization", "TEDUR": "P27D"})
    return rows


def ta_rows(study: Study) -> list[dict[str, Any]]:
    rows = []
    for arm in study.protocol.design.arms:
        elements = [("SCRN", "Screening", SCREENING, "Randomized to "
                     f"{arm.label.text('en')}"),
                    (_element_code(arm.code), arm.label.text("en"), TREATMENT, ""),
                    ("FU", "Follow-up", FOLLOW_UP, "")]
        for order, (etcd, element, epoch, branch) in enumerate(elements, start=1):
            rows.append({"STUDYID": study.studyid, "DOMAIN": "TA",
                         "ARMCD": arm.code.upper()[:8], "ARM": arm.label.text("en"),
                         "TAETORD": order, "ETCD": etcd, "ELEMENT": element,
                         "TABRANCH": branch, "TATRANS": "", "EPOCH": epoch})
    return rows


def tv_rows(study: Study) -> list[dict[str, Any]]:
    rows = []
    for visit in study.protocol.visits:
        columns = study.visit_columns(visit.code)
        window = f" (-{visit.window_before}/+{visit.window_after} days)" if (
            visit.window_before or visit.window_after) else ""
        rows.append({"STUDYID": study.studyid, "DOMAIN": "TV", **columns,
                     "TVSTRL": f"Protocol day {visit.day} after randomization{window}",
                     "TVENRL": ""})
    return rows


def _split(value: str, size: int = 200) -> dict[str, str]:
    """TSVAL, then TSVAL1, TSVAL2... for a value over 200 bytes (UTF-8, as the file counts),
    cut between words (a value too long even for those is refused by the XPT check, never
    shortened)."""
    parts = split_text(value, size)
    names = ["TSVAL"] + [f"TSVAL{n}" for n in range(1, len(parts))]
    return dict(zip(names, parts, strict=True))


def ts_rows(study: Study, sdtmig: str = "3.3") -> list[dict[str, Any]]:
    registry, design = study.protocol.registry, study.protocol.design
    masked = set(design.masking.who) if design.masking else set()
    blind = ("DOUBLE BLIND" if {"PARTICIPANT", "INVESTIGATOR"} <= masked else
             "SINGLE BLIND" if masked else "OPEN LABEL")
    parameters = [
        ("TITLE", "Trial Title", english(registry.official_title or registry.brief_title)),
        ("REGID", "Registry Identifier", registry.nct_id),
        ("SPONSOR", "Clinical Study Sponsor", english(registry.sponsor)),
        ("TPHASE", "Trial Phase Classification",
         PHASE.get(tuple(registry.phases), " / ".join(registry.phases))),
        ("STYPE", "Study Type", "INTERVENTIONAL"),
        ("RANDOM", "Trial is Randomized", "Y" if design.allocation == "RANDOMIZED" else "N"),
        ("TBLIND", "Trial Blinding Schema", blind),
        ("INTMODEL", "Intervention Model", design.intervention_model),
        ("NARMS", "Planned Number of Arms", str(len(design.arms))),
        ("PLANSUB", "Planned Number of Subjects", str(design.target_enrollment)),
        ("SSTDTC", "Study Start Date", str(registry.start_date or "")),
        ("SDTIGVER", "SDTM IG Version", sdtmig),
    ]
    parameters += [("INDIC", "Trial Disease/Condition Indication", english(condition))
                   for condition in registry.conditions]
    parameters += [("TRT", "Investigational Therapy or Treatment", i.name.text("en"))
                   for i in design.interventions if i.type in ("BIOLOGICAL", "DRUG")]
    rows, seen = [], {}
    for code, name, value in parameters:
        seen[code] = seen.get(code, 0) + 1
        rows.append({"STUDYID": study.studyid, "DOMAIN": "TS", "TSSEQ": seen[code],
                     "TSPARMCD": code, "TSPARM": name, **_split(str(value))})
    return rows
