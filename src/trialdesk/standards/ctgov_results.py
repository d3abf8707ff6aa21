"""ClinicalTrials.gov results (the v2 record's ``resultsSection``) from the final report's numbers.

Only after the final unblinding: before it the groups are not the trial's arms and posting them
would unblind (``ResultsBlinded``). The numbers are not computed again here: the caller gives the
final report's own results (its CONSORT counts and the core analyses its sections ran on the
real arms), so the record and the report cannot disagree. This module lays them out:

- participant flow: one period, STARTED = randomized, a "Received infusion" milestone, COMPLETED
  = vital status at day 28 known (the report's "analysed"), NOT COMPLETED by the report's reasons;
- baseline: age (mean, SD), sex (count) and region of enrollment, per arm and in total;
- outcome measures, one per protocol outcome, each with the report's analysis: 28-day mortality
  (risk difference), time to death (Kaplan-Meier survival at day 28, Cox hazard ratio, log-rank),
  ventilator-free days (median, IQR, Hodges-Lehmann shift), PaO2/FiO2 change (mean, SD, ANCOVA),
  cytokines (geometric means by day, group-by-day interaction), adverse events (participants with
  any, serious, grade >= 3, related);
- adverse events: per arm deaths, serious and other, by term (systematic assessment).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from trialdesk.protocol.schema import Outcome, Protocol
from trialdesk.standards.ctgov.results import ResultsSection
from trialdesk.stats.analysis import ConsortCounts

TWO_SIDED_95 = {"ci_num_sides": "TWO_SIDED", "ci_pct_value": "95"}
SUPERIORITY = {"non_inferiority_type": "SUPERIORITY"}


class ResultsBlinded(PermissionError):
    """Results were asked for before the final unblinding."""

    def __init__(self) -> None:
        super().__init__("ClinicalTrials.gov results are written only after the final "
                         "unblinding: until then the groups are not the trial's arms")


@dataclass(frozen=True)
class ReportResults:
    """The final report's results (``web.reports``), computed on the real arms."""

    flow: ConsortCounts
    participants: pd.DataFrame  # the report's frame: participant, group, dead, ...
    adverse_events: pd.DataFrame  # participant, group, serious, grade, related, term, organ_system
    baseline: pd.DataFrame  # participant, group, age, sex (F/M), country
    mortality: Any = None  # TwoProportionsResult
    survival: Any = None  # SurvivalResult
    vfd: Any = None  # RankComparisonResult
    pf_change: Any = None  # ChangeFromBaselineResult
    cytokines: Mapping[str, Any] = field(default_factory=dict)  # field code -> RepeatedMeasures
    vocabulary: str = "MedDRA"


def number(value: Any, digits: int = 2) -> str:
    """A value as the API writes it (a string; NA when it cannot be estimated)."""
    if value is None:
        return "NA"
    value = float(value)
    if not math.isfinite(value):
        return "NA"
    return f"{value:.{digits}f}"


def p_text(value: float | None) -> str | None:
    if value is None or not math.isfinite(value):
        return None
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _ids(prefix: str, groups: Sequence[str]) -> dict[str, str]:
    return {group: f"{prefix}G{index:03d}" for index, group in enumerate(groups)}


def _groups(ids: Mapping[str, str], descriptions: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"id": gid, "title": label, "description": descriptions.get(label, label)}
            for label, gid in ids.items()]


def _counts(ids: Mapping[str, str], values: Mapping[str, int]) -> list[dict[str, str]]:
    return [{"group_id": gid, "value": str(int(values.get(label, 0)))}
            for label, gid in ids.items()]


def _participant_flow(report: ReportResults, ids: dict[str, str],
                      descriptions: Mapping[str, str]) -> dict[str, Any]:
    arms = {arm.label: arm for arm in report.flow.arms}
    def achieved(count: Any) -> list[dict[str, str]]:
        return [{"group_id": gid, "num_subjects": str(int(count(arms[label])))}
                for label, gid in ids.items()]

    reasons = sorted({reason for arm in arms.values() for reason in arm.excluded_from_analysis})
    drops = [{"type": _drop_type(reason), "comment": reason,
              "reasons": achieved(lambda arm, r=reason: arm.excluded_from_analysis.get(r, 0))}
             for reason in reasons]
    return {
        "recruitment_details": f"{report.flow.assessed} screened, {report.flow.randomized} "
                               "randomized",
        "groups": _groups(ids, descriptions),
        "periods": [{"title": "Overall Study", "milestones": [
            {"type": "STARTED", "achievements": achieved(lambda arm: arm.allocated)},
            {"type": "Received infusion", "achievements": achieved(lambda arm: arm.received)},
            {"type": "COMPLETED", "comment": "vital status at day 28 known",
             "achievements": achieved(lambda arm: arm.analysed)},
            {"type": "NOT COMPLETED",
             "achievements": achieved(lambda arm: arm.allocated - arm.analysed)},
        ], "drop_withdraws": drops}],
    }


def _drop_type(reason: str) -> str:
    lowered = reason.lower()
    if "unknown" in lowered:
        return "Lost to Follow-up"
    if "withdr" in lowered:
        return "Withdrawal by Subject"
    return "Other"


def _baseline(report: ReportResults, labels: Sequence[str],
              descriptions: Mapping[str, str]) -> dict[str, Any]:
    frame = report.baseline
    ids = _ids("B", [*labels, "Total"])
    parts = {label: frame[frame["group"] == label] for label in labels}
    parts["Total"] = frame[frame["group"].isin(labels)]
    sizes = {label: len(part) for label, part in parts.items()}

    def each(compute: Any) -> list[dict[str, Any]]:
        return [{"group_id": ids[label], **compute(part)} for label, part in parts.items()]

    def age(part: pd.DataFrame) -> dict[str, str]:
        values = pd.to_numeric(part["age"], errors="coerce").dropna()
        return {"value": number(values.mean(), 1),
                "spread": number(values.std(ddof=1) if len(values) > 1 else None, 1)}

    def count(column: str, code: str) -> Any:
        return lambda part: {"value": str(int((part[column] == code).sum()))}

    countries = sorted(set(frame["country"].dropna()))
    return {
        "population_description": "All randomized participants, by the arm randomized.",
        "groups": _groups(ids, {**descriptions, "Total": "Total of all reporting groups"}),
        "denoms": [{"units": "Participants", "counts": _counts(ids, sizes)}],
        "measures": [
            {"title": "Age, Continuous", "param_type": "MEAN",
             "dispersion_type": "STANDARD_DEVIATION", "unit_of_measure": "years",
             "classes": [{"categories": [{"measurements": each(age)}]}]},
            {"title": "Sex: Female, Male", "param_type": "COUNT_OF_PARTICIPANTS",
             "unit_of_measure": "Participants", "classes": [{"categories": [
                 {"title": "Female", "measurements": each(count("sex", "F"))},
                 {"title": "Male", "measurements": each(count("sex", "M"))}]}]},
            {"title": "Region of Enrollment", "param_type": "COUNT_OF_PARTICIPANTS",
             "unit_of_measure": "participants", "classes": [
                 {"title": country, "categories": [
                     {"measurements": each(count("country", country))}]}
                 for country in countries]},
        ],
    }


def _analysis(ids: Mapping[str, str], **values: Any) -> dict[str, Any]:
    return {**SUPERIORITY, "group_ids": list(ids.values()),
            **{key: value for key, value in values.items() if value is not None}}


def _measure(outcome: Outcome, ids: Mapping[str, str], descriptions: Mapping[str, str],
             denominators: Mapping[str, int] | None, **values: Any) -> dict[str, Any]:
    measure = {
        "type": outcome.kind.upper(), "title": outcome.measure.text("en"),
        "description": outcome.description.text("en"), "time_frame": outcome.time_frame.text("en"),
        "groups": _groups(ids, descriptions),
        "reporting_status": "POSTED", **values,
    }
    if denominators is not None:
        measure["denoms"] = [{"units": "Participants", "counts": _counts(ids, denominators)}]
    return measure


def _by_label(result_groups: Sequence[Any], ids: Mapping[str, str]) -> dict[str, Any]:
    found = {group.label: group for group in result_groups}
    return {label: found[label] for label in ids}


def _not_posted(outcome: Outcome, ids: Mapping[str, str], descriptions: Mapping[str, str],
                why: str) -> dict[str, Any]:
    return {"type": outcome.kind.upper(), "title": outcome.measure.text("en"),
            "description": f"{outcome.description.text('en')} Not analysed: {why}",
            "time_frame": outcome.time_frame.text("en"), "reporting_status": "NOT_POSTED",
            "groups": _groups(dict(ids), descriptions)}


def _mortality(outcome: Outcome, r: Any, ids: dict[str, str], d: Mapping[str, str]) -> dict:
    groups = _by_label([r.a, r.b], ids)
    return _measure(
        outcome, ids, d, {label: g.n for label, g in groups.items()},
        param_type="COUNT_OF_PARTICIPANTS", unit_of_measure="Participants",
        population_description="Randomized participants with vital status at day 28 known.",
        classes=[{"categories": [{"title": "Dead by day 28", "measurements": [
            {"group_id": ids[label], "value": str(g.events)} for label, g in groups.items()]}]}],
        analyses=[_analysis(ids, param_type="Risk Difference (RD)",
                            param_value=number(r.risk_difference.estimate, 3),
                            ci_lower_limit=number(r.risk_difference.lower, 3),
                            ci_upper_limit=number(r.risk_difference.upper, 3),
                            p_value=p_text(r.test.p_value), statistical_method=r.test.name,
                            estimate_comment=f"{r.a.label} minus {r.b.label} "
                                             f"({r.risk_difference.method})",
                            **TWO_SIDED_95)])


def _survival(outcome: Outcome, r: Any, ids: dict[str, str], d: Mapping[str, str]) -> dict:
    groups = _by_label([r.a, r.b], ids)
    hr = r.hazard_ratio
    return _measure(
        outcome, ids, d, {label: g.n for label, g in groups.items()},
        param_type="NUMBER", dispersion_type="95% Confidence Interval",
        unit_of_measure="proportion of participants alive",
        population_description="Randomized participants; Kaplan-Meier survival at day 28.",
        classes=[{"categories": [{"measurements": [
            {"group_id": ids[label], "value": number(g.at_times[0].survival, 3),
             "lower_limit": number(g.at_times[0].lower, 3),
             "upper_limit": number(g.at_times[0].upper, 3)}
            for label, g in groups.items()]}]}],
        analyses=[
            _analysis(ids, param_type="Hazard Ratio (HR)", param_value=number(hr.estimate, 3),
                      ci_lower_limit=number(hr.lower, 3), ci_upper_limit=number(hr.upper, 3),
                      p_value=p_text(hr.p_value), statistical_method="Regression, Cox",
                      estimate_comment=f"{r.a.label} versus {r.b.label}", **TWO_SIDED_95),
            _analysis(ids, p_value=p_text(r.logrank.p_value), statistical_method="Log Rank"),
        ])


def _vfd(outcome: Outcome, r: Any, ids: dict[str, str], d: Mapping[str, str]) -> dict:
    groups = _by_label([r.a, r.b], ids)
    shift = r.shift
    return _measure(
        outcome, ids, d, {label: g.n for label, g in groups.items()},
        param_type="MEDIAN", dispersion_type="Inter-Quartile Range", unit_of_measure="days",
        classes=[{"categories": [{"measurements": [
            {"group_id": ids[label], "value": number(g.median, 1),
             "lower_limit": number(g.q1, 1), "upper_limit": number(g.q3, 1)}
            for label, g in groups.items()]}]}],
        analyses=[_analysis(ids, param_type="Median Difference (Final Values)",
                            param_value=number(shift.estimate, 2),
                            ci_lower_limit=number(shift.lower, 2),
                            ci_upper_limit=number(shift.upper, 2),
                            p_value=p_text(r.test.p_value),
                            statistical_method="Wilcoxon (Mann-Whitney)",
                            estimate_comment=f"Hodges-Lehmann shift, {r.a.label} minus "
                                             f"{r.b.label}", **TWO_SIDED_95)])


def _pf(outcome: Outcome, r: Any, ids: dict[str, str], d: Mapping[str, str]) -> dict:
    groups = _by_label([r.a, r.b], ids)
    diff = r.difference
    return _measure(
        outcome, ids, d, {label: g.n for label, g in groups.items()},
        param_type="MEAN", dispersion_type="Standard Deviation", unit_of_measure="mmHg",
        classes=[{"categories": [{"measurements": [
            {"group_id": ids[label], "value": number(g.change_mean, 1),
             "spread": number(g.change_sd, 1)} for label, g in groups.items()]}]}],
        analyses=[_analysis(ids, param_type="Mean Difference (Net)",
                            param_value=number(diff.estimate, 1),
                            ci_lower_limit=number(diff.lower, 1),
                            ci_upper_limit=number(diff.upper, 1),
                            p_value=p_text(diff.p_value), statistical_method="ANCOVA",
                            estimate_comment="adjusted for the day-0 value", **TWO_SIDED_95)])


def _cytokines(outcome: Outcome, results: Mapping[str, Any], names: Mapping[str, str],
               ids: dict[str, str], d: Mapping[str, str]) -> dict:
    classes, analyses = [], []
    for code, result in results.items():
        if result is None:
            continue
        for day in result.days:
            means = {g.group: g for g in result.geometric_means if g.day == day}
            classes.append({"title": f"{names[code]}, day {day:g}", "categories": [
                {"measurements": [
                    {"group_id": ids[label], "value": number(means[label].geometric_mean, 2),
                     "lower_limit": number(means[label].lower, 2),
                     "upper_limit": number(means[label].upper, 2)}
                    for label in ids if label in means]}]})
        analyses.append(_analysis(ids, p_value=p_text(result.interaction_p),
                                  statistical_method="Mixed Models Analysis",
                                  statistical_comment=f"{names[code]}: group by day interaction "
                                                      "(log scale, random intercept)"))
    if not classes:
        return _not_posted(outcome, ids, d, "too few values in each group")
    return _measure(outcome, ids, d, None, param_type="GEOMETRIC_MEAN",
                    dispersion_type="95% Confidence Interval", unit_of_measure="pg/mL",
                    classes=classes, analyses=analyses)


def _safety_counts(outcome: Outcome, report: ReportResults, ids: dict[str, str],
                   d: Mapping[str, str]) -> dict:
    people, events = report.participants, report.adverse_events
    sizes = {label: int((people["group"] == label).sum()) for label in ids}

    def with_(title: str, mask: pd.Series) -> dict[str, Any]:
        chosen = events[mask]
        return {"title": title, "measurements": [
            {"group_id": gid, "value": str(chosen.loc[chosen["group"] == label,
                                                      "participant"].nunique())}
            for label, gid in ids.items()]}

    return _measure(outcome, ids, d, sizes, param_type="COUNT_OF_PARTICIPANTS",
                    unit_of_measure="Participants", classes=[{"categories": [
                        with_("Any adverse event", events["participant"].notna()),
                        with_("Serious adverse event", events["serious"].astype(bool)),
                        with_("Grade 3 or higher", events["grade"] >= 3),
                        with_("Related to the study infusion", events["related"].astype(bool)),
                    ]}])


def _adverse_events(report: ReportResults, labels: Sequence[str], time_frame: str,
                    descriptions: Mapping[str, str]) -> dict[str, Any]:
    ids = _ids("E", labels)
    people, events = report.participants, report.adverse_events
    at_risk = {label: int((people["group"] == label).sum()) for label in labels}

    def affected(frame: pd.DataFrame, label: str) -> int:
        return int(frame.loc[frame["group"] == label, "participant"].nunique())

    serious = events[events["serious"].astype(bool)]
    other = events[~events["serious"].astype(bool)]
    groups = [{"id": ids[label], "title": label, "description": descriptions.get(label, label),
               "deaths_num_affected": int(people.loc[people["group"] == label, "dead"]
                                          .fillna(0).sum()),
               "deaths_num_at_risk": at_risk[label],
               "serious_num_affected": affected(serious, label),
               "serious_num_at_risk": at_risk[label],
               "other_num_affected": affected(other, label),
               "other_num_at_risk": at_risk[label]} for label in labels]

    def by_term(frame: pd.DataFrame) -> list[dict[str, Any]]:
        rows = []
        for (organ, term), part in frame.groupby(["organ_system", "term"], sort=True):
            rows.append({"term": term, "organ_system": organ,
                         "source_vocabulary": report.vocabulary,
                         "assessment_type": "SYSTEMATIC_ASSESSMENT", "stats": [
                             {"group_id": ids[label],
                              "num_events": int((part["group"] == label).sum()),
                              "num_affected": affected(part, label),
                              "num_at_risk": at_risk[label]} for label in labels]})
        return rows

    return {"frequency_threshold": "0", "time_frame": time_frame,
            "description": "Adverse events recorded on the adverse event form, from "
                           "randomization to day 28; deaths: all-cause to day 28.",
            "event_groups": groups, "serious_events": by_term(serious),
            "other_events": by_term(other)}


def results_section(protocol: Protocol, report: ReportResults, *,
                    unblinded: bool) -> ResultsSection:
    """The validated ``resultsSection``; ResultsBlinded before the final unblinding."""
    if not unblinded:
        raise ResultsBlinded
    labels = [arm.label.text("en") for arm in protocol.design.arms]
    descriptions = {arm.label.text("en"): arm.description.text("en")
                    for arm in protocol.design.arms}
    if set(report.participants["group"].dropna()) - set(labels):
        raise ValueError("the report's groups are not the protocol's arms: results need the "
                         "real allocation")
    ids = _ids("O", labels)
    names = {code: field.label.text("en") for code, field in protocol.all_fields().items()}
    measures = []
    for outcome in protocol.outcomes:
        result = {"proportions": report.mortality, "survival": report.survival,
                  "ventilator_free_days": report.vfd,
                  "change_from_baseline": report.pf_change}.get(outcome.analysis)
        if outcome.analysis == "safety_counts":
            measures.append(_safety_counts(outcome, report, ids, descriptions))
        elif outcome.analysis == "repeated_measures":
            measures.append(_cytokines(outcome, report.cytokines, names, ids, descriptions))
        elif result is None:
            measures.append(_not_posted(outcome, ids, descriptions, "too few data"))
        else:
            build = {"proportions": _mortality, "survival": _survival,
                     "ventilator_free_days": _vfd, "change_from_baseline": _pf}[outcome.analysis]
            measures.append(build(outcome, result, ids, descriptions))
    safety = next((o for o in protocol.outcomes if o.analysis == "safety_counts"), None)
    section = {
        "participant_flow_module": _participant_flow(report, _ids("F", labels), descriptions),
        "baseline_characteristics_module": _baseline(report, labels, descriptions),
        "outcome_measures_module": {"outcome_measures": measures},
        "adverse_events_module": _adverse_events(
            report, labels, safety.time_frame.text("en") if safety else "28 days", descriptions),
        "more_info_module": {"point_of_contact": {
            "title": protocol.registry.contact.name if protocol.registry.contact else "Sponsor",
            "organization": protocol.registry.sponsor,
            **({"email": protocol.registry.contact.email,
                "phone": protocol.registry.contact.phone} if protocol.registry.contact else {}),
        }},
    }
    return ResultsSection.model_validate(section)


def results_record(protocol: Protocol, section: ResultsSection) -> dict[str, Any]:
    """The v2 study record with its results: the registry record the protocol writes plus
    ``resultsSection`` and ``hasResults``, as the API spells them (camelCase)."""
    from trialdesk.standards.ctgov.models import Study
    from trialdesk.standards.ctgov.writer import study_from_protocol, study_to_dict

    record = study_to_dict(study_from_protocol(protocol))
    record["resultsSection"] = section.model_dump(mode="json", by_alias=True, exclude_none=True)
    record["hasResults"] = True
    Study.model_validate(record)  # the registry part stays valid with the results beside it
    return record
