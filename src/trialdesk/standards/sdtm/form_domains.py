"""AE, CM, VS and LB: a subject's form records to rows.

LB writes a result beyond an assay's limit as SDTMIG does: character only (LBORRES = LBSTRESC =
"<1.5", LBSTRESN empty) with the limit in LBLLOQ. Where the protocol gives a test's normal range
(``reference_range``, by sex where it differs; the version the form was captured under), LB
writes it in original (LBORNRLO/HI, text) and standard units (LBSTNRLO/HI, numbers: the same unit,
no conversion) and LBNRIND says where the result falls; a test without one leaves them empty
rather than invented.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trialdesk.protocol.capture import FormField
from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.protocol.reference_ranges import classify
from trialdesk.standards.sdtm.common import Study, day_and_epoch, iso
from trialdesk.standards.sdtm.frames import study_day
from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.standards.sdtm.terms import (
    AE_CAUSALITY,
    AE_OUTCOME,
    LABORATORY,
    ROUTE,
    UNIT,
    VITAL_SIGNS,
    yes_no,
)


def _plain(number: Any) -> str:
    return f"{float(number):g}"


def ae_rows(study: Study, subject: Subject, events: Iterable[FormRecord]) -> list[dict[str, Any]]:
    rows = []
    for form in events:
        v = form.values
        start_day, epoch = day_and_epoch(v.get("ae_onset_date"), subject.randomized_on)
        term = str(v.get("ae_term", "")).strip()
        fatal = v.get("ae_outcome") == "fatal" or str(v.get("ae_grade")) == "5"
        rows.append({
            "STUDYID": study.studyid, "DOMAIN": "AE", "USUBJID": study.usubjid(subject.code),
            "AESPID": str(form.seq), "AETERM": term,
            # coded by the safety database where it is; else the reported term (not MedDRA)
            "AEDECOD": str(v.get("ae_decod") or term).upper(),
            "AESER": yes_no(v.get("ae_serious")),
            "AEREL": AE_CAUSALITY.get(v.get("ae_relatedness"), ""),
            "AEOUT": AE_OUTCOME.get(v.get("ae_outcome"), ""),
            "AETOXGR": str(v.get("ae_grade") or ""), "AESDTH": "Y" if fatal else "N",
            "EPOCH": epoch, "AESTDTC": iso(v.get("ae_onset_date")),
            "AEENDTC": iso(v.get("ae_resolution_date")), "AESTDY": start_day,
            "AEENDY": study_day(v.get("ae_resolution_date"), subject.randomized_on)})
    return rows


def cm_rows(study: Study, subject: Subject, meds: Iterable[FormRecord]) -> list[dict[str, Any]]:
    rows = []
    for form in meds:
        v = form.values
        start_day, epoch = day_and_epoch(v.get("cm_start_date"), subject.randomized_on)
        rows.append({
            "STUDYID": study.studyid, "DOMAIN": "CM", "USUBJID": study.usubjid(subject.code),
            "CMSPID": str(form.seq), "CMTRT": str(v.get("cm_name", "")).strip(),
            "CMINDC": str(v.get("cm_indication") or ""),
            "CMROUTE": ROUTE.get(v.get("cm_route"), ""), "EPOCH": epoch,
            "CMSTDTC": iso(v.get("cm_start_date")), "CMENDTC": iso(v.get("cm_stop_date")),
            "CMSTDY": start_day,
            "CMENDY": study_day(v.get("cm_stop_date"), subject.randomized_on)})
    return rows


def _test(field: FormField, table: Mapping[str, tuple]) -> tuple:
    if field.code in table:
        return table[field.code]
    unit = UNIT.get(field.unit or "", field.unit or "")
    return (field.code.upper().replace("_", "")[:8], field.label.text("en"), unit, "")


def _result(value: Any) -> tuple[str, float | None]:
    """(character result, numeric result): a censored value is character only."""
    if is_censored(value):
        return censored_text(value), None
    return _plain(value), float(value)


def _normal_range(field: FormField, subject: Subject, value: Any) -> dict[str, Any]:
    """LB's reference range columns of one result (empty when the test has no range)."""
    limits = (field.reference_range.limits_for(subject.sex)
              if field.reference_range is not None else None)
    if limits is None:
        return {}
    return {"LBORNRLO": "" if limits.low is None else _plain(limits.low),
            "LBORNRHI": "" if limits.high is None else _plain(limits.high),
            "LBSTNRLO": limits.low, "LBSTNRHI": limits.high,
            "LBNRIND": classify(value, limits) or ""}


def _findings(study: Study, subject: Subject, forms: Iterable[FormRecord],
              fields: Mapping[str, FormField], domain: str,
              table: Mapping[str, tuple],
              by_version: Mapping[int, Mapping[str, FormField]] | None = None
              ) -> list[dict[str, Any]]:
    rows = []
    prefix = domain
    for form in forms:
        captured_under = (by_version or {}).get(form.protocol_version, {})
        day, epoch = day_and_epoch(form.collected_on, subject.randomized_on)
        for code, field in fields.items():
            value = form.values.get(code)
            if value is None or value == "":
                continue
            testcd, test, unit, *category = _test(field, table)
            text, number = _result(value)
            row = {
                "STUDYID": study.studyid, "DOMAIN": domain,
                "USUBJID": study.usubjid(subject.code), f"{prefix}TESTCD": testcd,
                f"{prefix}TEST": test, f"{prefix}ORRES": text, f"{prefix}ORRESU": unit,
                f"{prefix}STRESC": text, f"{prefix}STRESN": number, f"{prefix}STRESU": unit,
                **study.visit_columns(form.visit), "EPOCH": epoch,
                f"{prefix}DTC": iso(form.collected_on), f"{prefix}DY": day}
            if domain == "LB":
                row["LBCAT"] = category[0] if category else form.form.upper()
                row["LBLLOQ"] = field.lloq
                row.update(_normal_range(captured_under.get(code, field), subject, value))
            rows.append(row)
    return rows


def vs_rows(study: Study, subject: Subject, forms: Iterable[FormRecord],
            fields: Mapping[str, FormField]) -> list[dict[str, Any]]:
    """VS: each entered vital sign (and the screening weight and height)."""
    return _findings(study, subject, forms, fields, "VS", VITAL_SIGNS)


def lb_rows(study: Study, subject: Subject, forms: Iterable[FormRecord],
            fields: Mapping[str, FormField],
            by_version: Mapping[int, Mapping[str, FormField]] | None = None
            ) -> list[dict[str, Any]]:
    """LB: each entered laboratory and cytokine result. ``by_version``: each protocol version's
    fields by code, so that a result is read against the normal range of the version it was
    captured under (``fields``, the latest definitions, for a version not given)."""
    return _findings(study, subject, forms, fields, "LB", LABORATORY, by_version)
