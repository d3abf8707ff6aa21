"""Randomization needs a consent on the version in force at the participant's site (issue 17):
each site's ethics committee approves a version on its own date, so one site may have moved to a
new version while another still uses the old one; a re-consent on the new version lets the
participant be randomized."""

from __future__ import annotations

import datetime as dt

import pytest
from enrollment import screen
from trial_factory import protocol_in_use

from trialdesk.protocol import default_protocol_path
from trialdesk.web.core import clock
from trialdesk.web.trials.models import Randomization

NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date().isoformat()
APPROVALS = ('approvals = [{ site = "CO-01", date = "2020-01-10" }, '
             '{ site = "CO-02", date = "2020-01-10" }, { site = "CO-03", date = "2020-01-10" }]\n')
VERSION_2 = APPROVALS + '''[[consent.versions]]
version = "2.0"
title = { en = "Informed consent form, version 2.0", es = "Consentimiento informado, versión 2.0" }
languages = ["es"]
approvals = [{ site = "CO-01", date = "2026-06-01" }, { site = "CO-02", date = "2026-07-01" }]
'''


@pytest.fixture
def two_versions(trial, settings, tmp_path):
    text = default_protocol_path().read_text(encoding="utf-8")
    assert APPROVALS in text, "the bundled protocol's consent approvals changed"
    path = tmp_path / "two-versions.toml"
    path.write_text(text.replace(APPROVALS, VERSION_2), encoding="utf-8")
    with protocol_in_use(settings, path), clock.use_clock(clock.SimulatedClock(NOW)):
        yield trial


def _consented(trial, user, version="1.0") -> str:
    api = trial.api(user)
    code = screen(api)["code"]
    response = api.post(f"/api/v1/participants/{code}/consent",
                        {"consent_date": TODAY, "form_version": version})
    assert response.status_code == 201, response.content
    return code


def test_an_old_version_blocks_randomization_where_a_new_one_is_in_force(two_versions):
    trial = two_versions
    code = _consented(trial, "investigator-co-01")  # 1.0 is still approved, no longer current
    response = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409 and response.json()["error"] == "consent_version"
    assert response.json()["detail"] == (
        f"consent: {code} signed version 1.0; the version in force at site CO-01 is 2.0 "
        "(re-consent first)")
    assert not Randomization.objects.filter(participant__code=code).exists()
    reconsent = trial.api("investigator-co-01").post(
        f"/api/v1/participants/{code}/consent/reconsent",
        {"date": TODAY, "form_version": "2.0", "signer": "lar", "lar_name": "Ana Gómez",
         "lar_relationship": "daughter"})
    assert reconsent.status_code == 201, reconsent.content
    assert reconsent.json()["language"] == "es"
    response = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content


def test_a_site_keeps_its_version_until_its_own_approval(two_versions):
    trial = two_versions
    code = _consented(trial, "investigator-co-02")
    response = trial.api("investigator-co-02").post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content
    other = screen(trial.api("investigator-co-02"))["code"]
    refused = trial.api("investigator-co-02").post(
        f"/api/v1/participants/{other}/consent", {"consent_date": TODAY, "form_version": "2.0"})
    assert refused.status_code == 422
    assert refused.json()["fields"] == [{
        "field": "form_version", "rule": "version 2.0 is approved at site CO-02 only from "
                                         "2026-07-01"}]


def test_a_new_version_signed_where_it_is_current_randomizes_at_once(two_versions):
    trial = two_versions
    code = _consented(trial, "investigator-co-01", version="2.0")
    response = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content
