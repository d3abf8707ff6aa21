"""The analysis report at /reports/: who may read it, what each reader sees, and its figures."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from django.test import Client
from lock_override import lock_database
from login import signed_in_client
from reports_testkit import build_trial, generated

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.stats.analysis import (
    change_from_baseline,
    repeated_measures,
    survival_analysis,
    two_proportions_from_frame,
    ventilator_free_days_analysis,
)
from trialdesk.stats.analysis.censored import censored_geometric_means
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.reports.sections import interval, num, p_value

GROUPS = ("group 1", "group 2")
FORBIDDEN = ("investigator-co-01", "coordinator-co-01", "pharmacist-co-01", "monitor", "admin")
READERS = ("analyst", "dsmb_statistician", "data_manager")


def _arm_words() -> list[re.Pattern]:
    """Arm codes as values or attributes, and words that name an arm (as the security crawl)."""
    protocol = get_protocol()
    patterns = [re.compile(rf"(?<=[\"']){re.escape(a.code)}(?=[\"' ])|"
                           rf"(?<=[\"' ]){re.escape(a.code)}(?=[\"'])")
                for a in protocol.design.arms]
    words = {a.type for a in protocol.design.arms} | {"MSC", "CMM", "placebo", "vehicle",
                                                      "vehículo"}
    return patterns + [re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])", re.IGNORECASE)
                       for w in words]


def _arm_leaks(body: str) -> list[str]:
    found = find_leaks(body, arm_revealing_texts(get_protocol(), ["en", "es"]))
    return found + sorted({m.group(0) for p in _arm_words() for m in p.finditer(body)})


def _section(body: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', body, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def _rows(section: str) -> list[list[str]]:
    """The table rows of a section (all its tables), as cell texts."""
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S) if "<td>" in row]


def _svg_texts(section: str) -> str:
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", section, re.S))


def test_analyst_reads_coded_groups_and_no_arm_anywhere(trial, test_output_dir):
    build_trial(trial)
    client = signed_in_client(trial.users["analyst"])
    page = generated(client)
    assert page.status_code == 200
    body = page.content.decode()
    download = client.get("/reports/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment; filename=")
    standalone = download.content.decode()
    (test_output_dir / "analyst_report.html").write_text(body, encoding="utf-8")
    (test_output_dir / "analyst_report_standalone.html").write_text(standalone, encoding="utf-8")
    for text in (body, standalone, download["Content-Disposition"]):
        assert _arm_leaks(text) == []
    for text in (body, standalone):
        assert "group 1" in text and "group 2" in text
        # the figures name the groups as text, coded: the KM legend and the CONSORT boxes
        assert "group 1" in _svg_texts(_section(text, "survival"))
        assert "Allocated to group 2" in _svg_texts(_section(text, "consort"))
    assert "<link" not in standalone and "src=" not in standalone  # nothing fetched from outside
    spanish = generated(signed_in_client(trial.users["analyst"], "es")).content.decode()
    assert _arm_leaks(spanish) == []
    assert "Informe de análisis enmascarado" in spanish


def test_data_manager_reads_coded_groups_too(trial):
    build_trial(trial, per_site=2)
    body = generated(signed_in_client(trial.users["data_manager"])).content.decode()
    assert "group 1" in body
    assert _arm_leaks(body) == []


def test_dsmb_statistician_reads_the_arm_labels(trial, test_output_dir):
    build_trial(trial)
    body = generated(signed_in_client(trial.users["dsmb_statistician"])).content.decode()
    (test_output_dir / "dsmb_report.html").write_text(body, encoding="utf-8")
    labels = [arm.label.text("en") for arm in get_protocol().design.arms]
    for label in labels:
        assert label in _svg_texts(_section(body, "survival"))
        assert label in _section(body, "mortality")
    assert "group 1" not in body


def test_analyst_reads_the_arms_after_the_final_unblinding(trial):
    build_trial(trial, per_site=2)
    reason = {"reason": "Database locked; final analysis per the SAP"}
    assert lock_database(trial.users).status_code == 201
    assert trial.api("data_manager").post("/api/v1/final-unblinding", reason).status_code == 201
    assert trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve",
                                               reason).status_code == 200
    body = generated(signed_in_client(trial.users["analyst"])).content.decode()
    assert all(arm.label.text("en") in body for arm in get_protocol().design.arms)
    assert "group 1" not in body
    # the data manager stays blinded after the unblinding
    manager = signed_in_client(trial.users["data_manager"])
    assert _arm_leaks(generated(manager).content.decode()) == []


@pytest.mark.parametrize("path", ["/reports/", "/reports/download/"])
def test_only_statisticians_and_the_data_manager_may_read_the_report(trial, path):
    for username in FORBIDDEN:
        client = signed_in_client(trial.users[username])
        assert client.get(path).status_code == 403, username
        assert client.post("/reports/").status_code == 403, username  # nor queue one
    for username in READERS:
        assert generated(signed_in_client(trial.users[username]), path).status_code == 200, (
            username)
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_nav_link_shows_for_readers_only(trial):
    assert b'href="/reports/"' in signed_in_client(trial.users["analyst"]).get("/").content
    investigator = signed_in_client(trial.users["investigator-co-01"])
    assert b'href="/reports/"' not in investigator.get("/").content


def test_an_empty_trial_renders_and_says_the_data_are_too_few(trial):
    response = generated(signed_in_client(trial.users["analyst"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No participant has been randomized yet." in body
    for key in ("mortality", "survival", "vfd", "pao2_fio2", "cytokine_il6"):
        assert "Too few data for this analysis" in _section(body, key), key
    assert "Randomized (n\u00a0=\u00a00)" in _svg_texts(_section(body, "consort"))


def test_report_figures_equal_the_core_functions_on_the_entered_data(trial):
    """Redo each analysis from the values the test entered and the API's coded groups."""
    built = build_trial(trial)
    group_of = {row["participant"]: row["group"]
                for row in trial.api("analyst").get("/api/v1/analysis/groups").json()}
    body = generated(signed_in_client(trial.users["analyst"])).content.decode()
    people = pd.DataFrame([{
        "group": group_of[code], "dead": e["dead"], "vfd": e["vfd"], "pf0": e["pf0"],
        "pf7": e["pf7"],
        "time": e["death_day"] or e["lost_day"] or 28, "event": 1 if e["death_day"] else 0,
    } for code, e in built.entered.items()])

    mortality = two_proportions_from_frame(people, group="group", event="dead", groups=GROUPS)
    rows = _rows(_section(body, "mortality"))
    assert rows[0] == ["group 1", str(mortality.a.events), str(mortality.a.n),
                       num(mortality.a.proportion.estimate, 3),
                       interval(mortality.a.proportion.lower, mortality.a.proportion.upper, 3)]
    assert rows[2][1] == num(mortality.risk_difference.estimate, 3)
    assert f"p = {p_value(mortality.test.p_value)}" in html.unescape(_section(body, "mortality"))

    survival = survival_analysis(people, time="time", event="event", group="group",
                                 groups=GROUPS, at=[28])
    rows = _rows(_section(body, "survival"))
    assert rows[-1] == ["Hazard ratio (Cox)", num(survival.hazard_ratio.estimate),
                        interval(survival.hazard_ratio.lower, survival.hazard_ratio.upper),
                        p_value(survival.hazard_ratio.p_value)]
    assert rows[-2][-1] == p_value(survival.logrank.p_value)

    vfd = ventilator_free_days_analysis(people, vfd="vfd", group="group", groups=GROUPS)
    rows = _rows(_section(body, "vfd"))
    assert rows[-1] == ["Hodges-Lehmann shift", num(vfd.shift.estimate),
                        interval(vfd.shift.lower, vfd.shift.upper), p_value(vfd.test.p_value)]

    pf = change_from_baseline(people, group="group", baseline="pf0", followup="pf7",
                              groups=GROUPS)
    rows = _rows(_section(body, "pao2_fio2"))
    assert rows[-1][1:] == [num(pf.difference.estimate, 1),
                            interval(pf.difference.lower, pf.difference.upper, 1),
                            p_value(pf.difference.p_value)]

    il6 = pd.DataFrame([{"participant": code, "group": group_of[code], "day": day,
                         "il6": values["il6"]}
                        for code, e in built.entered.items()
                        for day, values in e["cytokines"].items()])
    # the protocol's assay limit and rule: "<LLOQ" entered is "<1.5" replaced by 1.5 / 2
    il6["il6"] = il6["il6"].replace("<LLOQ", "<1.5")
    model = repeated_measures(il6, participant="participant", group="group", day="day",
                              value="il6", groups=GROUPS, lod=1.5, lod_rule="half")
    rows = _rows(_section(body, "cytokine_il6"))
    expected = [[g.group, f"{g.day:g}", str(g.n), str(g.below_lod), num(g.geometric_mean),
                 interval(g.lower, g.upper)] for g in model.geometric_means]
    assert rows[:len(expected)] == expected
    assert model.below_lod_total == 2  # the two "<LLOQ" entered, replaced by LLOQ / 2
    ratios = [[f"{r.day:g}", num(r.ratio), interval(r.lower, r.upper), p_value(r.p_value)]
              for r in model.ratios]
    assert rows[len(expected):len(expected) + len(ratios)] == ratios
    # the censored-likelihood sensitivity table: the core's figures, the censored counted
    tobit = censored_geometric_means(il6, group="group", day="day", value="il6", lod=1.5,
                                     groups=GROUPS)
    assert rows[len(expected) + len(ratios):] == [
        [g.group, f"{g.day:g}", str(g.n), str(g.below), num(g.geometric_mean),
         interval(g.lower, g.upper)] for g in tobit]
    assert sum(g.below for g in tobit) == 2
