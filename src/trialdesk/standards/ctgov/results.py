"""The ClinicalTrials.gov API v2 ``resultsSection``, validated strictly (no unknown key, the v2
enumerations, numbers as the API writes them: counts and values as strings, adverse-event
counts as integers), with the arithmetic a results reviewer checks first: every group a flow,
measure or analysis names is declared, and a period's STARTED minus COMPLETED equals its
withdrawals.

Field names and enumerations follow the API's study data structure (``resultsSection``:
participantFlowModule, baselineCharacteristicsModule, outcomeMeasuresModule,
adverseEventsModule, moreInfoModule).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from trialdesk.standards.ctgov.models import Strict

Count = Annotated[str, StringConstraints(pattern=r"^\d+$")]
Number = Annotated[str, StringConstraints(pattern=r"^(NA|-?\d+(\.\d+)?([eE][-+]?\d+)?)$")]
PValue = Annotated[str, StringConstraints(pattern=r"^[<>]?=?\s?\d*\.?\d+([eE][-+]?\d+)?$")]
GroupId = Annotated[str, StringConstraints(pattern=r"^[A-Z]G\d{3}$")]
Text = Annotated[str, StringConstraints(min_length=1)]

MeasureParam = Literal[
    "GEOMETRIC_MEAN", "GEOMETRIC_LEAST_SQUARES_MEAN", "LEAST_SQUARES_MEAN", "LOG_MEAN", "MEAN",
    "MEDIAN", "NUMBER", "COUNT_OF_PARTICIPANTS", "COUNT_OF_UNITS",
]
MeasureDispersion = Literal[
    "NA", "STANDARD_DEVIATION", "STANDARD_ERROR", "INTER_QUARTILE_RANGE", "FULL_RANGE",
    "CONFIDENCE_80", "CONFIDENCE_90", "CONFIDENCE_95", "CONFIDENCE_975", "CONFIDENCE_99",
    "CONFIDENCE_OTHER", "GEOMETRIC_COEFFICIENT",
]
OutcomeType = Literal["PRIMARY", "SECONDARY", "OTHER_PRE_SPECIFIED", "POST_HOC"]
ReportingStatus = Literal["NOT_POSTED", "POSTED"]
AnalysisDispersion = Literal["STANDARD_DEVIATION", "STANDARD_ERROR_OF_MEAN"]
ConfidenceSides = Literal["ONE_SIDED", "TWO_SIDED"]
NonInferiority = Literal[
    "SUPERIORITY", "NON_INFERIORITY", "EQUIVALENCE", "OTHER", "NON_INFERIORITY_OR_EQUIVALENCE",
    "SUPERIORITY_OR_OTHER", "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY",
    "SUPERIORITY_OR_OTHER_LEGACY",
]
AssessmentType = Literal["NON_SYSTEMATIC_ASSESSMENT", "SYSTEMATIC_ASSESSMENT"]
RestrictionType = Literal["LTE60", "GT60", "OTHER"]


class ResultGroup(Strict):
    id: GroupId
    title: Text
    description: str | None = None


class GroupCount(Strict):
    group_id: GroupId
    value: Count


class Denom(Strict):
    units: Text
    counts: list[GroupCount]


# --- participant flow ----------------------------------------------------------------------------

class Achievement(Strict):
    group_id: GroupId
    comment: str | None = None
    num_subjects: Count | None = None
    num_units: Count | None = None


class Milestone(Strict):
    type: Text
    comment: str | None = None
    achievements: list[Achievement]


class DropWithdraw(Strict):
    type: Text
    comment: str | None = None
    reasons: list[Achievement]


class FlowPeriod(Strict):
    title: Text
    milestones: list[Milestone]
    drop_withdraws: list[DropWithdraw] = Field(default_factory=list)

    @model_validator(mode="after")
    def _started_less_completed_is_withdrawn(self) -> FlowPeriod:
        def counts(milestone: str) -> dict[str, int]:
            found = next((m for m in self.milestones if m.type == milestone), None)
            if found is None:
                raise ValueError(f"period {self.title!r} has no {milestone} milestone")
            return {a.group_id: int(a.num_subjects or 0) for a in found.achievements}

        started, completed = counts("STARTED"), counts("COMPLETED")
        for group, number in started.items():
            dropped = sum(int(r.num_subjects or 0) for d in self.drop_withdraws
                          for r in d.reasons if r.group_id == group)
            if number - completed.get(group, 0) != dropped:
                raise ValueError(f"period {self.title!r}, group {group}: STARTED {number} minus "
                                 f"COMPLETED {completed.get(group, 0)} is not the {dropped} "
                                 "withdrawn")
        return self


class ParticipantFlowModule(Strict):
    pre_assignment_details: str | None = None
    recruitment_details: str | None = None
    type_units_analyzed: str | None = None
    groups: list[ResultGroup]
    periods: list[FlowPeriod]


# --- measures (baseline and outcomes) ------------------------------------------------------------

class Measurement(Strict):
    group_id: GroupId
    value: Number | None = None
    spread: Number | None = None
    lower_limit: Number | None = None
    upper_limit: Number | None = None
    comment: str | None = None


class Category(Strict):
    title: str | None = None
    measurements: list[Measurement]


class MeasureClass(Strict):
    title: str | None = None
    denoms: list[Denom] = Field(default_factory=list)
    categories: list[Category]


class BaselineMeasure(Strict):
    title: Text
    description: str | None = None
    population_description: str | None = None
    param_type: MeasureParam
    dispersion_type: MeasureDispersion | None = None
    unit_of_measure: Text
    calculate_pct: bool | None = None
    denom_units_selected: str | None = None
    denoms: list[Denom] = Field(default_factory=list)
    classes: list[MeasureClass]


class BaselineCharacteristicsModule(Strict):
    population_description: str | None = None
    type_units_analyzed: str | None = None
    groups: list[ResultGroup]
    denoms: list[Denom]
    measures: list[BaselineMeasure]


class Analysis(Strict):
    param_type: str | None = None
    param_value: Number | None = None
    dispersion_type: AnalysisDispersion | None = None
    dispersion_value: Number | None = None
    statistical_method: str | None = None
    statistical_comment: str | None = None
    p_value: PValue | None = None
    p_value_comment: str | None = None
    ci_num_sides: ConfidenceSides | None = None
    ci_pct_value: Number | None = None
    ci_lower_limit: Number | None = None
    ci_upper_limit: Number | None = None
    ci_lower_limit_comment: str | None = None
    ci_upper_limit_comment: str | None = None
    estimate_comment: str | None = None
    tested_non_inferiority: bool | None = None
    non_inferiority_type: NonInferiority
    non_inferiority_comment: str | None = None
    other_analysis_description: str | None = None
    group_description: str | None = None
    group_ids: list[GroupId] = Field(min_length=1)


class OutcomeMeasure(Strict):
    type: OutcomeType
    title: Text
    description: str | None = None
    population_description: str | None = None
    reporting_status: ReportingStatus
    anticipated_posting_date: str | None = None
    param_type: MeasureParam | None = None
    dispersion_type: str | None = None
    unit_of_measure: str | None = None
    calculate_pct: bool | None = None
    time_frame: Text
    type_units_analyzed: str | None = None
    denom_units_selected: str | None = None
    groups: list[ResultGroup] = Field(default_factory=list)
    denoms: list[Denom] = Field(default_factory=list)
    classes: list[MeasureClass] = Field(default_factory=list)
    analyses: list[Analysis] = Field(default_factory=list)

    @model_validator(mode="after")
    def _groups_are_declared(self) -> OutcomeMeasure:
        declared = {group.id for group in self.groups}
        named = {count.group_id for denom in self.denoms for count in denom.counts}
        named |= {m.group_id for c in self.classes for cat in c.categories
                  for m in cat.measurements}
        named |= {group for analysis in self.analyses for group in analysis.group_ids}
        unknown = named - declared
        if unknown:
            raise ValueError(f"outcome {self.title!r} names undeclared groups "
                             f"{sorted(unknown)}")
        if self.reporting_status == "POSTED" and not self.classes:
            raise ValueError(f"outcome {self.title!r} is POSTED without measurements")
        return self


class OutcomeMeasuresModule(Strict):
    outcome_measures: list[OutcomeMeasure]


# --- adverse events ------------------------------------------------------------------------------

class EventGroup(Strict):
    id: GroupId
    title: Text
    description: str | None = None
    deaths_num_affected: int | None = Field(default=None, ge=0)
    deaths_num_at_risk: int | None = Field(default=None, ge=0)
    serious_num_affected: int = Field(ge=0)
    serious_num_at_risk: int = Field(ge=0)
    other_num_affected: int = Field(ge=0)
    other_num_at_risk: int = Field(ge=0)

    @model_validator(mode="after")
    def _affected_within_at_risk(self) -> EventGroup:
        for kind in ("deaths", "serious", "other"):
            affected = getattr(self, f"{kind}_num_affected")
            at_risk = getattr(self, f"{kind}_num_at_risk")
            if affected is not None and at_risk is not None and affected > at_risk:
                raise ValueError(f"{self.id}: {kind} affected {affected} > at risk {at_risk}")
        return self


class EventStats(Strict):
    group_id: GroupId
    num_events: int | None = Field(default=None, ge=0)
    num_affected: int = Field(ge=0)
    num_at_risk: int = Field(ge=0)


class AdverseEvent(Strict):
    term: Text
    organ_system: Text
    source_vocabulary: str | None = None
    assessment_type: AssessmentType | None = None
    notes: str | None = None
    stats: list[EventStats]


class AdverseEventsModule(Strict):
    frequency_threshold: Number
    time_frame: Text
    description: str | None = None
    all_cause_mortality_comment: str | None = None
    event_groups: list[EventGroup]
    serious_events: list[AdverseEvent] = Field(default_factory=list)
    other_events: list[AdverseEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _groups_are_declared(self) -> AdverseEventsModule:
        declared = {group.id for group in self.event_groups}
        for event in (*self.serious_events, *self.other_events):
            unknown = {s.group_id for s in event.stats} - declared
            if unknown:
                raise ValueError(f"event {event.term!r} names undeclared groups {sorted(unknown)}")
        return self


# --- more information ----------------------------------------------------------------------------

class LimitationsAndCaveats(Strict):
    description: str | None = None


class CertainAgreement(Strict):
    pi_sponsor_employee: bool | None = None
    restriction_type: RestrictionType | None = None
    restrictive_agreement: bool | None = None
    other_details: str | None = None


class PointOfContact(Strict):
    title: Text
    organization: Text
    email: str | None = None
    phone: str | None = None
    phone_ext: str | None = None


class MoreInfoModule(Strict):
    limitations_and_caveats: LimitationsAndCaveats | None = None
    certain_agreement: CertainAgreement | None = None
    point_of_contact: PointOfContact | None = None


class ResultsSection(Strict):
    participant_flow_module: ParticipantFlowModule
    baseline_characteristics_module: BaselineCharacteristicsModule
    outcome_measures_module: OutcomeMeasuresModule
    adverse_events_module: AdverseEventsModule
    more_info_module: MoreInfoModule | None = None

    @model_validator(mode="after")
    def _flow_groups_declared(self) -> ResultsSection:
        flow = self.participant_flow_module
        declared = {group.id for group in flow.groups}
        for period in flow.periods:
            named = {a.group_id for m in period.milestones for a in m.achievements}
            named |= {r.group_id for d in period.drop_withdraws for r in d.reasons}
            if named - declared:
                raise ValueError(f"participant flow names undeclared groups "
                                 f"{sorted(named - declared)}")
        baseline = self.baseline_characteristics_module
        declared = {group.id for group in baseline.groups}
        named = {c.group_id for d in baseline.denoms for c in d.counts}
        named |= {m.group_id for measure in baseline.measures for c in measure.classes
                  for cat in c.categories for m in cat.measurements}
        if named - declared:
            raise ValueError(f"baseline characteristics name undeclared groups "
                             f"{sorted(named - declared)}")
        return self
