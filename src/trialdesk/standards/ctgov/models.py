"""A ClinicalTrials.gov API v2 ``Study``, validated strictly.

The published schema lets unknown keys through, so a misspelt key ("overalStatus") would pass
it and silently lose a fact. Every model here forbids unknown keys. The modules trialdesk reads
are modelled field by field; the others the schema names (oversight, references, results...) are
accepted as they come, because a bulk download carries them and we neither show nor rewrite
them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from trialdesk.protocol.registry import parse_partial_date
from trialdesk.standards.ctgov import enums

NctId = Annotated[str, StringConstraints(pattern=r"^NCT\d{8}$")]
MeshId = Annotated[str, StringConstraints(pattern=r"^D\d{9}$")]
PartialDate = Annotated[str, BeforeValidator(parse_partial_date)]
Text = Annotated[str, StringConstraints(min_length=1)]


class Strict(BaseModel):
    """camelCase on the wire, snake_case in Python, and no key we do not know."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True,
        serialize_by_alias=True,
    )


class OrgStudyIdInfo(Strict):
    id: str
    type: str | None = None
    link: str | None = None


class Organization(Strict):
    full_name: str | None = None
    class_: enums.AgencyClass | None = Field(default=None, alias="class")


class IdentificationModule(Strict):
    nct_id: NctId
    nct_id_aliases: list[NctId] = Field(default_factory=list)
    org_study_id_info: OrgStudyIdInfo | None = None
    secondary_id_infos: list[dict[str, Any]] = Field(default_factory=list)
    brief_title: Text
    official_title: str | None = None
    acronym: str | None = None
    organization: Organization | None = None


class DateStruct(Strict):
    date: PartialDate
    type: enums.DateType | None = None


class StatusModule(Strict):
    status_verified_date: PartialDate | None = None
    overall_status: enums.OverallStatus
    last_known_status: enums.OverallStatus | None = None
    delayed_posting: bool | None = None
    why_stopped: str | None = None
    expanded_access_info: dict[str, Any] | None = None
    start_date_struct: DateStruct | None = None
    primary_completion_date_struct: DateStruct | None = None
    completion_date_struct: DateStruct | None = None
    study_first_submit_date: PartialDate | None = None
    study_first_submit_qc_date: PartialDate | None = None
    study_first_post_date_struct: DateStruct | None = None
    results_first_submit_date: PartialDate | None = None
    results_first_submit_qc_date: PartialDate | None = None
    results_first_post_date_struct: DateStruct | None = None
    disp_first_submit_date: PartialDate | None = None
    disp_first_submit_qc_date: PartialDate | None = None
    disp_first_post_date_struct: DateStruct | None = None
    last_update_submit_date: PartialDate | None = None
    last_update_post_date_struct: DateStruct | None = None


class Sponsor(Strict):
    name: Text
    class_: enums.AgencyClass | None = Field(default=None, alias="class")


class SponsorCollaboratorsModule(Strict):
    responsible_party: dict[str, Any] | None = None
    lead_sponsor: Sponsor
    collaborators: list[Sponsor] = Field(default_factory=list)


class DescriptionModule(Strict):
    brief_summary: str | None = None
    detailed_description: str | None = None


class ConditionsModule(Strict):
    conditions: list[Text] = Field(default_factory=list)
    keywords: list[Text] = Field(default_factory=list)


class MaskingInfo(Strict):
    masking: enums.Masking | None = None
    masking_description: str | None = None
    who_masked: list[enums.WhoMasked] = Field(default_factory=list)


class DesignInfo(Strict):
    allocation: enums.Allocation | None = None
    intervention_model: enums.InterventionModel | None = None
    intervention_model_description: str | None = None
    primary_purpose: enums.PrimaryPurpose | None = None
    observational_model: str | None = None
    time_perspective: str | None = None
    masking_info: MaskingInfo | None = None


class EnrollmentInfo(Strict):
    count: Annotated[int, Field(ge=0)]
    type: enums.EnrollmentType | None = None


class DesignModule(Strict):
    study_type: enums.StudyType | None = None
    n_ptrs_to_this_exp_acc_nct_id: int | None = None
    expanded_access_types: dict[str, Any] | None = None
    patient_registry: bool | None = None
    target_duration: str | None = None
    phases: list[enums.Phase] = Field(default_factory=list)
    design_info: DesignInfo | None = None
    bio_spec: dict[str, Any] | None = None
    enrollment_info: EnrollmentInfo | None = None


class ArmGroup(Strict):
    label: Text
    type: enums.ArmGroupType | None = None
    description: str | None = None
    intervention_names: list[str] = Field(default_factory=list)


class Intervention(Strict):
    type: enums.InterventionType
    name: Text
    description: str | None = None
    arm_group_labels: list[str] = Field(default_factory=list)
    other_names: list[str] = Field(default_factory=list)


class ArmsInterventionsModule(Strict):
    arm_groups: list[ArmGroup] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)


class Outcome(Strict):
    measure: Text
    description: str | None = None
    time_frame: str | None = None


class OutcomesModule(Strict):
    primary_outcomes: list[Outcome] = Field(default_factory=list)
    secondary_outcomes: list[Outcome] = Field(default_factory=list)
    other_outcomes: list[Outcome] = Field(default_factory=list)


class EligibilityModule(Strict):
    eligibility_criteria: str | None = None
    healthy_volunteers: bool | None = None
    sex: enums.Sex | None = None
    gender_based: bool | None = None
    gender_description: str | None = None
    minimum_age: str | None = None
    maximum_age: str | None = None
    std_ages: list[enums.StandardAge] = Field(default_factory=list)
    study_population: str | None = None
    sampling_method: str | None = None


class Contact(Strict):
    name: str | None = None
    role: enums.ContactRole | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


class Official(Strict):
    name: str | None = None
    affiliation: str | None = None
    role: enums.OfficialRole | None = None


class GeoPoint(Strict):
    lat: float
    lon: float


class Location(Strict):
    facility: str | None = None
    status: enums.RecruitmentStatus | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    contacts: list[Contact] = Field(default_factory=list)
    geo_point: GeoPoint | None = None


class ContactsLocationsModule(Strict):
    central_contacts: list[Contact] = Field(default_factory=list)
    overall_officials: list[Official] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)


class ProtocolSection(Strict):
    identification_module: IdentificationModule
    status_module: StatusModule
    sponsor_collaborators_module: SponsorCollaboratorsModule | None = None
    oversight_module: dict[str, Any] | None = None
    description_module: DescriptionModule | None = None
    conditions_module: ConditionsModule | None = None
    design_module: DesignModule | None = None
    arms_interventions_module: ArmsInterventionsModule | None = None
    outcomes_module: OutcomesModule | None = None
    eligibility_module: EligibilityModule | None = None
    contacts_locations_module: ContactsLocationsModule | None = None
    references_module: dict[str, Any] | None = None
    ipd_sharing_statement_module: dict[str, Any] | None = None


class Mesh(Strict):
    id: MeshId | None = None
    term: Text


class BrowseLeaf(Strict):
    id: str
    name: str
    as_found: str | None = None
    relevance: enums.Relevance | None = None


class BrowseBranch(Strict):
    abbrev: str
    name: str


class BrowseModule(Strict):
    meshes: list[Mesh] = Field(default_factory=list)
    ancestors: list[Mesh] = Field(default_factory=list)
    browse_leaves: list[BrowseLeaf] = Field(default_factory=list)
    browse_branches: list[BrowseBranch] = Field(default_factory=list)


class DerivedSection(Strict):
    misc_info_module: dict[str, Any] | None = None
    condition_browse_module: BrowseModule | None = None
    intervention_browse_module: BrowseModule | None = None


class Study(Strict):
    protocol_section: ProtocolSection
    results_section: dict[str, Any] | None = None
    annotation_section: dict[str, Any] | None = None
    document_section: dict[str, Any] | None = None
    derived_section: DerivedSection | None = None
    has_results: bool | None = None

    @property
    def nct_id(self) -> str:
        return self.protocol_section.identification_module.nct_id
