"""Screening under the protocol version in force at the site (issue 17).

An amendment raising the minimum age from 18 to 60 years applies where it is approved, from its
effective date, and nowhere else; each screening record keeps the version it was evaluated
under, and a correction is evaluated again under that version, whatever is in force later.
The patient is ``ELIGIBLE_VALUES`` (54 years old: eligible under version 1, not under 2).
"""

from __future__ import annotations

import datetime as dt

import pytest
from eligible import ELIGIBLE_VALUES, screening_form_data

from trialdesk.protocol import default_protocol_path
from trialdesk.web.core import clock
from trialdesk.web.trials.models import ScreeningRecord

NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
EFFECTIVE = dt.date(2026, 6, 20)
AGE_RULE, NEW_AGE_RULE = 'rule = "age >= 18"', 'rule = "age >= 60"'
AMENDMENTS = "/api/v1/amendments"


def older_adults_text() -> str:
    """The bundled protocol with the inclusion criterion "adult" at 60 years instead of 18."""
    text = default_protocol_path().read_text(encoding="utf-8")
    assert text.count(AGE_RULE) == 1, "the bundled protocol's age criterion changed"
    return text.replace(AGE_RULE, NEW_AGE_RULE)


@pytest.fixture
def amended(trial):
    """Version 2 (age >= 60), effective on ``EFFECTIVE``, approved at CO-01 only; the trial's
    clock on ``NOW`` (before the effective date), moved on by the test."""
    with clock.use_clock(clock.SimulatedClock(NOW)) as moving:
        admin = trial.api("admin")
        recorded = admin.post(AMENDMENTS, {"toml_text": older_adults_text(),
                                           "effective_date": EFFECTIVE.isoformat(),
                                           "reason": "Older adults only (DSMB advice)"})
        assert recorded.status_code == 201, recorded.content
        changes = recorded.json()["changes"]
        assert [c["path"] for c in changes if c["category"] == "eligibility_changed"] == [
            "eligibility.inclusion.adult.rule"]
        approved = admin.post(f"{AMENDMENTS}/2/approvals",
                              {"site": "CO-01", "approval_date": NOW.date().isoformat()})
        assert approved.status_code == 201, approved.content
        yield trial, moving


def _screen(trial, user: str, values=None) -> dict:
    response = trial.api(user).post("/api/v1/participants",
                                    {"values": values or ELIGIBLE_VALUES})
    assert response.status_code == 201, response.content
    return response.json()


def _record(code: str) -> ScreeningRecord:
    return ScreeningRecord.objects.get(participant__code=code)


def _criterion(body: dict, code: str) -> str:
    return next(c["status"] for c in body["eligibility"]["criteria"] if c["code"] == code)


def test_an_eligibility_amendment_applies_at_the_approving_site_from_its_effective_date(amended):
    trial, moving = amended
    before = _screen(trial, "investigator-co-01")  # approved, not yet effective: version 1
    assert before["eligible"] is True and _record(before["code"]).protocol_version == 1

    moving.set(dt.datetime.combine(EFFECTIVE, dt.time(9), tzinfo=dt.UTC))
    after = _screen(trial, "investigator-co-01")
    assert after["eligible"] is False
    assert _criterion(after, "adult") == "not_met"
    record = _record(after["code"])
    assert record.protocol_version == 2 and record.eligible is False
    assert any("adult" in reason or "60" in reason for reason in record.reasons), record.reasons
    elsewhere = _screen(trial, "investigator-co-02")  # CO-02 never approved it
    assert elsewhere["eligible"] is True and _record(elsewhere["code"]).protocol_version == 1

    # old screenings keep their version: read and corrected under it
    reread = trial.api("investigator-co-01").get(f"/api/v1/participants/{before['code']}")
    assert reread.json()["eligible"] is True and _criterion(reread.json(), "adult") == "met"
    corrected = trial.api("investigator-co-01").send(
        "PATCH", f"/api/v1/participants/{before['code']}/screening",
        {"values": {"age": 55}, "reason": "age misread on the admission sheet"})
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["eligible"] is True
    assert _record(before["code"]).protocol_version == 1


def test_a_correction_is_evaluated_under_the_screenings_own_version(amended):
    trial, moving = amended
    moving.set(dt.datetime.combine(EFFECTIVE, dt.time(9), tzinfo=dt.UTC))
    screened = _screen(trial, "investigator-co-01", {**ELIGIBLE_VALUES, "age": 59})
    assert screened["eligible"] is False
    corrected = trial.api("investigator-co-01").send(
        "PATCH", f"/api/v1/participants/{screened['code']}/screening",
        {"values": {"age": 61}, "reason": "birth year typed wrong on screening"})
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["eligible"] is True
    record = _record(screened["code"])
    assert (record.protocol_version, record.eligible, record.values["age"]) == (2, True, 61)


def test_the_screening_pages_live_check_uses_the_sites_version(amended, client):
    trial, moving = amended
    moving.set(dt.datetime.combine(EFFECTIVE, dt.time(9), tzinfo=dt.UTC))
    data = screening_form_data()
    for user, eligible in (("investigator-co-01", False), ("investigator-co-02", True)):
        client.force_login(trial.users[user])
        check = client.post("/screen/check/", data)
        assert check.status_code == 200
        assert check.context["eligibility"]["eligible"] is eligible, user
        page = client.post("/screen/", data)
        assert page.status_code == 302, page.content
    codes = list(ScreeningRecord.objects.order_by("pk").values_list(
        "participant__code", "protocol_version", "eligible"))
    assert [(version, eligible) for _, version, eligible in codes] == [(2, False), (1, True)]
