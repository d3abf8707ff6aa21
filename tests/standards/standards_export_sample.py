"""A small trial as the standard-format writers read it: two participants at two sites, a form
corrected with a reason, a signature voided by the change and signed again, a censored cytokine
and a yes/no answer, an adverse event in the log, a removed value."""

from __future__ import annotations

import datetime as dt

from trialdesk.protocol.loader import default_protocol_path, load_protocol
from trialdesk.standards.export_data import (
    AllocationKind,
    ArmAssignment,
    ConsentRecord,
    FormChange,
    FormRecord,
    FormSignature,
    SubjectRecord,
    TrialExport,
    UserRecord,
)

T0 = dt.datetime(2020, 2, 3, 9, 0, tzinfo=dt.UTC)
MEANING = "I confirm the data on this form are accurate (signature)"
USERS = [UserRecord("inv_co01", "Ines Vargas", "investigator", "CO-01"),
         UserRecord("pi_co01", "Pablo Iriarte", "principal_investigator", "CO-01"),
         UserRecord("inv_co02", "Irene Vélez", "investigator", "CO-02"),
         UserRecord("dm", "Dana Marsh", "data_manager", None)]


def _hours(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _first_subject() -> SubjectRecord:
    demographics = FormRecord(
        "screening", "demographics", 1, "complete",
        {"age": 54, "sex": "F", "weight": 70.5, "height": 162},
        changes=[
            FormChange(11, _hours(0), "inv_co01", "", {"age": (None, 55), "sex": (None, "F"),
                                                       "height": (None, 162)}, (None, "complete")),
            FormChange(15, _hours(3), "inv_co01", "age misread from the chart",
                       {"age": (55, 54), "weight": (None, 70.5)}, None),
        ],
        signatures=[
            FormSignature(1, "pi_co01", _hours(2), MEANING, _hours(3), "inv_co01",
                          "age misread from the chart"),
            FormSignature(2, "pi_co01", _hours(4), MEANING),
        ])
    cytokines = FormRecord(
        "day0", "cytokines", 1, "complete",
        {"il6": {"censored": "<", "limit": 1.5}, "il10": 3.25, "il1b": 0.9},
        changes=[FormChange(20, _hours(30), "inv_co01", "",
                            {"il6": (None, {"censored": "<", "limit": 1.5}), "il10": (None, 3.25),
                             "il1b": (None, 0.9), "tnf_alpha": (None, 4.0)}, (None, "draft")),
                 FormChange(21, _hours(31), "inv_co01", "sample haemolysed",
                            {"tnf_alpha": (4.0, None)}, ("draft", "complete"))])
    event = FormRecord(
        "log", "adverse_event", 2, "complete",
        {"ae_term": "Rash & itching <mild>", "ae_serious": False, "ae_grade": "1",
         "ae_onset_date": "2020-02-05"},
        changes=[FormChange(30, _hours(50), "inv_co01", "",
                            {"ae_term": (None, "Rash & itching <mild>"),
                             "ae_serious": (None, False), "ae_grade": (None, "1"),
                             "ae_onset_date": (None, "2020-02-05")}, (None, "complete"))])
    return SubjectRecord("CO-01-001", "CO-01", dt.date(2020, 2, 3),
                         [demographics, cytokines, event],
                         consent=ConsentRecord(T0 - dt.timedelta(hours=2), "representative",
                                               "2.0"))


def _second_subject() -> SubjectRecord:
    infusion = FormRecord(
        "day1", "infusion", 1, "draft",
        {"kit_code": "7KQ2-MX4R", "infusion_start": "2020-03-02T10:15:00",
         "infusion_reaction": True},
        changes=[FormChange(40, _hours(700), "inv_co02", "",
                            {"kit_code": (None, "7KQ2-MX4R"),
                             "infusion_start": (None, "2020-03-02T10:15:00"),
                             "infusion_reaction": (None, True)}, (None, "draft"))])
    return SubjectRecord("CO-02-001", "CO-02", dt.date(2020, 3, 1), [infusion],
                         consent=ConsentRecord(_hours(690), "participant", "2.0"))


ARMS = {"CO-01-001": "msc", "CO-02-001": "standard"}


def sample_export(allocation: AllocationKind = "none") -> TrialExport:
    """The sample with the allocation ``allocation`` (dummy arms are the reverse of the real)."""
    protocol = load_protocol(default_protocol_path())
    labels = {arm.code: arm.label.text("en") for arm in protocol.design.arms}
    subjects = [_first_subject(), _second_subject()]
    if allocation != "none":
        dummy = allocation == "dummy"
        flipped = {"msc": "standard", "standard": "msc"}
        subjects = [
            SubjectRecord(s.code, s.site, s.enrolled_on, s.forms, consent=s.consent,
                          arm=ArmAssignment(flipped[ARMS[s.code]] if dummy else ARMS[s.code],
                                            labels[flipped[ARMS[s.code]] if dummy
                                                   else ARMS[s.code]], dummy))
            for s in subjects]
    return TrialExport(protocol=protocol, allocation=allocation, created_at=_hours(1000),
                       subjects=subjects, users=USERS, source_version="test")
