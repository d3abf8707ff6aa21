"""The exports of a trial's folder: assay results below the LLOQ as CDISC writes them (SDTM LB,
ADaM ADLB with the protocol's substitute), ventilator-free days in ADSL as derived."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from api_client import ApiClient
from enrollment import randomize

from trialdesk.web.simulation.outputs import (
    _write_forms,
    analysis_subjects,
    assay_results,
    lab_analysis,
)
from trialdesk.web.trials.models import Randomization

COORD = "coordinator-co-01"


@pytest.fixture
def entered(trial):
    """One participant randomized 30 days ago: cytokines at day 0 (IL-6 below its LLOQ, 1.5
    pg/mL), one ventilation episode (days 0 to 9) and an end-of-study form (alive)."""
    code, _ = randomize(ApiClient(trial.users["investigator-co-01"]), days_ago=30)
    day0 = Randomization.objects.get(participant__code=code).randomized_at.date()
    api = ApiClient(trial.users[COORD])
    base = f"/api/v1/participants/{code}/visits"
    for path, values in (
        ("day0/forms/cytokines", {"il1b": 2.5, "il6": "<1.5", "tnf_alpha": 12, "il10": 14.25}),
        ("log/forms/ventilation_episode", {
            "ventilation_start": f"{day0 - dt.timedelta(days=1)}T08:00",
            "ventilation_stop": f"{day0 + dt.timedelta(days=9)}T11:00",
            "ventilation_episode_mode": "ett"}),
        ("day28/forms/end_of_study", {"vital_status_day28": "alive"}),
    ):
        response = api.put(f"{base}/{path}", {"values": values, "complete": True})
        assert response.status_code == 201, response.content
    return code


def test_sdtm_lb_writes_below_the_limit_as_character_only(entered):
    rows = {row["LBTESTCD"]: row for row in assay_results()}
    assert set(rows) == {"IL1B", "IL6", "TNF_ALPH", "IL10"}
    il6 = rows["IL6"]
    assert (il6["LBORRES"], il6["LBSTRESC"], il6["LBSTRESN"], il6["LBLLOQ"]) == (
        "<1.5", "<1.5", "", 1.5)
    assert (il6["LBORRESU"], il6["VISIT"], il6["LBDY"], il6["DOMAIN"]) == ("pg/mL", "day0", 0,
                                                                          "LB")
    assert (rows["IL10"]["LBORRES"], rows["IL10"]["LBSTRESN"]) == ("14.25", 14.25)


def test_adlb_substitutes_half_the_lloq_and_flags_it(entered):
    rows = {row["PARAMCD"]: row for row in lab_analysis(analysis_subjects())}
    il6 = rows["IL6"]
    assert (il6["AVAL"], il6["AVALC"], il6["BLQFL"], il6["DTYPE"]) == (0.75, "<1.5", "Y",
                                                                      "LLOQ/2")
    assert (rows["IL1B"]["AVAL"], rows["IL1B"]["AVALC"], rows["IL1B"]["BLQFL"]) == (2.5, "2.5",
                                                                                   "")


def test_adsl_carries_the_derived_ventilator_free_days(entered):
    (subject,) = analysis_subjects()
    assert subject["VFD28"] == 18  # days 0 to 9 ventilated


def test_the_forms_export_writes_the_censored_value_as_text(entered, tmp_path):
    path = _write_forms(tmp_path)["forms/cytokines"]
    (row,) = list(csv.DictReader(path.open(encoding="utf-8")))
    assert (row["il6"], row["il1b"]) == ("<1.5", "2.5")
