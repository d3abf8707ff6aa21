"""ClinicalTrials.gov resultsSection from the report's results: refused before the final
unblinding, valid against the strict v2 models, the numbers those of the analyses given (and,
for the counts, of a hand count of the synthetic trial)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from trialdesk.protocol.loader import default_protocol_path, load_protocol
from trialdesk.standards.ctgov.results import FlowPeriod, ResultsSection
from trialdesk.standards.ctgov_results import (
    ReportResults,
    ResultsBlinded,
    results_record,
    results_section,
)
from trialdesk.stats.analysis import (
    ArmFlow,
    ConsortCounts,
    change_from_baseline,
    repeated_measures,
    survival_analysis,
    two_proportions_from_frame,
    ventilator_free_days_analysis,
)

PROTOCOL = load_protocol(default_protocol_path())
MSC, STANDARD = (arm.label.text("en") for arm in PROTOCOL.design.arms)
GROUPS = (MSC, STANDARD)


def _participants() -> pd.DataFrame:
    rng = np.random.default_rng(20200113)
    rows = []
    for group, deaths in ((MSC, 3), (STANDARD, 6)):
        for i in range(20):
            code = f"{'M' if group == MSC else 'S'}-{i:02d}"
            dead = 1.0 if i < deaths else 0.0
            unknown = group == MSC and i == 19  # vital status unknown: not analysed
            rows.append({
                "participant": code, "group": group,
                "vital_status": "unknown" if unknown else ("dead" if dead else "alive"),
                "dead": np.nan if unknown else dead, "end_of_study": True, "received": i != 18,
                "time": float(5 + i) if dead else 28.0, "event": dead,
                "vfd": 0.0 if dead else float(rng.integers(5, 25)),
                "pf_day0": float(rng.normal(150, 30)), "pf_day7": float(rng.normal(200, 40)),
            })
    return pd.DataFrame(rows)


def _adverse_events() -> pd.DataFrame:
    rows = [
        ("M-00", MSC, True, 4, True, "Infusion related reaction", "General disorders"),
        ("M-00", MSC, False, 1, False, "Rash", "Skin disorders"),
        ("M-05", MSC, False, 2, False, "Rash", "Skin disorders"),
        ("S-01", STANDARD, True, 5, False, "Septic shock", "Infections"),
        ("S-02", STANDARD, False, 3, True, "Rash", "Skin disorders"),
    ]
    return pd.DataFrame(rows, columns=["participant", "group", "serious", "grade", "related",
                                       "term", "organ_system"])


def _baseline(people: pd.DataFrame) -> pd.DataFrame:
    frame = people[["participant", "group"]].copy()
    frame["age"] = [40 + (i % 30) for i in range(len(frame))]
    frame["sex"] = ["F" if i % 3 == 0 else "M" for i in range(len(frame))]
    frame["country"] = "Colombia"
    return frame


def _cytokines(people: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = [{"participant": p, "group": g, "day": day,
             "il6": float(np.exp(rng.normal(3 - (0.3 * day / 7 if g == MSC else 0), 0.5)))}
            for p, g in zip(people["participant"], people["group"], strict=True)
            for day in (0, 3, 7, 14)]
    return pd.DataFrame(rows)


def _flow(people: pd.DataFrame) -> ConsortCounts:
    arms = []
    for group in GROUPS:
        rows = people[people["group"] == group]
        unknown = int((rows["vital_status"] == "unknown").sum())
        arms.append(ArmFlow(label=group, allocated=len(rows), received=int(rows["received"].sum()),
                            analysed=len(rows) - unknown,
                            excluded_from_analysis={"Vital status unknown": unknown}
                            if unknown else {}))
    return ConsortCounts(assessed=52, excluded={"Not eligible": 12}, randomized=len(people),
                         arms=arms)


@pytest.fixture(scope="module")
def report() -> ReportResults:
    people = _participants()
    return ReportResults(
        flow=_flow(people), participants=people, adverse_events=_adverse_events(),
        baseline=_baseline(people),
        mortality=two_proportions_from_frame(people, group="group", event="dead", groups=GROUPS),
        survival=survival_analysis(people, time="time", event="event", group="group",
                                   groups=GROUPS, at=[28]),
        vfd=ventilator_free_days_analysis(people, vfd="vfd", group="group", groups=GROUPS),
        pf_change=change_from_baseline(people, group="group", baseline="pf_day0",
                                       followup="pf_day7", groups=GROUPS),
        cytokines={"il6": repeated_measures(_cytokines(people), participant="participant",
                                            group="group", day="day", value="il6",
                                            groups=GROUPS, lod=1.5)},
    )


@pytest.fixture(scope="module")
def section(report: ReportResults) -> ResultsSection:
    return results_section(PROTOCOL, report, unblinded=True)


def _measure(section: ResultsSection, title: str):
    return next(m for m in section.outcome_measures_module.outcome_measures if m.title == title)


def test_refused_before_the_final_unblinding(report: ReportResults) -> None:
    with pytest.raises(ResultsBlinded, match="only after the final unblinding"):
        results_section(PROTOCOL, report, unblinded=False)


def test_coded_or_dummy_groups_are_refused(report: ReportResults) -> None:
    people = report.participants.replace({"group": {MSC: "group 1", STANDARD: "group 2"}})
    coded = ReportResults(flow=report.flow, participants=people,
                          adverse_events=report.adverse_events, baseline=report.baseline)
    with pytest.raises(ValueError, match="real allocation"):
        results_section(PROTOCOL, coded, unblinded=True)


def test_the_record_validates_and_round_trips(section: ResultsSection) -> None:
    record = results_record(PROTOCOL, section)
    assert record["hasResults"] is True
    text = json.dumps(record)
    again = ResultsSection.model_validate(json.loads(text)["resultsSection"])
    assert again == section
    assert set(record["resultsSection"]) == {
        "participantFlowModule", "baselineCharacteristicsModule", "outcomeMeasuresModule",
        "adverseEventsModule", "moreInfoModule"}


def test_participant_flow_counts(section: ResultsSection) -> None:
    period = section.participant_flow_module.periods[0]
    counts = {m.type: [a.num_subjects for a in m.achievements] for m in period.milestones}
    # hand count: 20 per arm; one without infusion per arm; one MSC participant's status unknown
    assert counts == {"STARTED": ["20", "20"], "Received infusion": ["19", "19"],
                      "COMPLETED": ["19", "20"], "NOT COMPLETED": ["1", "0"]}
    assert [(d.type, [r.num_subjects for r in d.reasons]) for d in period.drop_withdraws] == [
        ("Lost to Follow-up", ["1", "0"])]


def test_the_flow_arithmetic_is_checked() -> None:
    achieved = [{"groupId": "FG000", "numSubjects": "20"}]
    with pytest.raises(ValidationError, match="STARTED 20 minus COMPLETED 18"):
        FlowPeriod.model_validate({"title": "Overall Study", "milestones": [
            {"type": "STARTED", "achievements": achieved},
            {"type": "COMPLETED", "achievements": [{"groupId": "FG000", "numSubjects": "18"}]}],
            "dropWithdraws": [{"type": "Death", "reasons": [
                {"groupId": "FG000", "numSubjects": "1"}]}]})


def test_the_models_are_strict(section: ResultsSection) -> None:
    data = section.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["adverseEventsModule"]["frequencyTreshold"] = "5"  # misspelt
    with pytest.raises(ValidationError, match="frequencyTreshold"):
        ResultsSection.model_validate(data)
    data = section.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["outcomeMeasuresModule"]["outcomeMeasures"][0]["type"] = "MAIN"
    with pytest.raises(ValidationError):
        ResultsSection.model_validate(data)


def test_baseline(section: ResultsSection, report: ReportResults) -> None:
    module = section.baseline_characteristics_module
    assert [g.title for g in module.groups] == [MSC, STANDARD, "Total"]
    assert [c.value for c in module.denoms[0].counts] == ["20", "20", "40"]
    age = module.measures[0].classes[0].categories[0].measurements
    ages = report.baseline["age"]
    msc_ages = report.baseline.loc[report.baseline["group"] == MSC, "age"]
    assert age[0].value == f"{msc_ages.mean():.1f}" and age[2].value == f"{ages.mean():.1f}"
    assert age[2].spread == f"{ages.std(ddof=1):.1f}"
    female = module.measures[1].classes[0].categories[0].measurements
    assert female[2].value == str(sum(1 for i in range(40) if i % 3 == 0))


def test_mortality_is_the_reports_analysis(section: ResultsSection,
                                           report: ReportResults) -> None:
    measure = _measure(section, "28-day all-cause mortality")
    assert measure.type == "PRIMARY" and measure.reporting_status == "POSTED"
    assert [m.value for m in measure.classes[0].categories[0].measurements] == ["3", "6"]
    assert [c.value for c in measure.denoms[0].counts] == ["19", "20"]
    [analysis] = measure.analyses
    # independent: 3/19 - 6/20 by hand
    assert float(analysis.param_value) == pytest.approx(3 / 19 - 6 / 20, abs=5e-4)
    assert analysis.ci_lower_limit == f"{report.mortality.risk_difference.lower:.3f}"
    assert analysis.statistical_method == report.mortality.test.name


def test_secondary_outcomes_carry_the_reports_numbers(section: ResultsSection,
                                                      report: ReportResults) -> None:
    survival = _measure(section, "Time to death to day 28")
    hazard, logrank = survival.analyses
    assert hazard.param_value == f"{report.survival.hazard_ratio.estimate:.3f}"
    assert logrank.statistical_method == "Log Rank"
    msc_at_28 = survival.classes[0].categories[0].measurements[0]
    # independent: 3 deaths of 20 (the unknown one is censored at 28 in this frame) -> 17/20
    assert float(msc_at_28.value) == pytest.approx(17 / 20, abs=5e-4)
    vfd = _measure(section, "Ventilator-free days to day 28")
    medians = report.participants.groupby("group")["vfd"].median()
    assert [float(m.value) for m in vfd.classes[0].categories[0].measurements] == [
        pytest.approx(medians[MSC], abs=0.05), pytest.approx(medians[STANDARD], abs=0.05)]
    pf = _measure(section, "Change in PaO2/FiO2 from day 0 to day 7")
    assert pf.analyses[0].param_value == f"{report.pf_change.difference.estimate:.1f}"
    cytokines = _measure(section, "IL-1 beta, IL-6, TNF-alpha and IL-10 to day 14")
    assert [c.title for c in cytokines.classes] == [f"IL-6, day {d}" for d in (0, 3, 7, 14)]
    assert cytokines.param_type == "GEOMETRIC_MEAN"


def test_adverse_events(section: ResultsSection) -> None:
    module = section.adverse_events_module
    msc, standard = module.event_groups
    # hand count from the five events above; deaths from the participants' frame
    assert (msc.serious_num_affected, msc.other_num_affected, msc.deaths_num_affected) == (1, 2, 3)
    assert (standard.serious_num_affected, standard.other_num_affected) == (1, 1)
    assert msc.serious_num_at_risk == standard.other_num_at_risk == 20
    rash = next(e for e in module.other_events if e.term == "Rash")
    assert [(s.num_events, s.num_affected) for s in rash.stats] == [(2, 2), (1, 1)]
    assert {e.term for e in module.serious_events} == {"Infusion related reaction",
                                                      "Septic shock"}
    safety = _measure(section, "Adverse events and serious adverse events")
    grade3 = next(c for c in safety.classes[0].categories if c.title == "Grade 3 or higher")
    assert [m.value for m in grade3.measurements] == ["1", "2"]
