"""The registry's codes in the reader's language.

ClinicalTrials.gov codes ("RECRUITING", "PHASE1", "PLACEBO_COMPARATOR") are shown in words; in
English those words are exactly the registry page's (``format_status``, ``PHASE_DISPLAY``,
``format_partial_date``, the related-trial reasons of :mod:`trialdesk.standards.related`), which
the tests check, so only the other languages differ.
"""

from __future__ import annotations

from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from trialdesk.protocol.registry import format_status
from trialdesk.standards.related import RelatedTrial

CODE_LABELS = {
    # overall status
    "ACTIVE_NOT_RECRUITING": pgettext_lazy("registry", "Active not recruiting"),
    "COMPLETED": pgettext_lazy("registry", "Completed"),
    "ENROLLING_BY_INVITATION": pgettext_lazy("registry", "Enrolling by invitation"),
    "NOT_YET_RECRUITING": pgettext_lazy("registry", "Not yet recruiting"),
    "RECRUITING": pgettext_lazy("registry", "Recruiting"),
    "SUSPENDED": pgettext_lazy("registry", "Suspended"),
    "TERMINATED": pgettext_lazy("registry", "Terminated"),
    "WITHDRAWN": pgettext_lazy("registry", "Withdrawn"),
    "AVAILABLE": pgettext_lazy("registry", "Available"),
    "NO_LONGER_AVAILABLE": pgettext_lazy("registry", "No longer available"),
    "TEMPORARILY_NOT_AVAILABLE": pgettext_lazy("registry", "Temporarily not available"),
    "APPROVED_FOR_MARKETING": pgettext_lazy("registry", "Approved for marketing"),
    "WITHHELD": pgettext_lazy("registry", "Withheld"),
    "UNKNOWN": pgettext_lazy("registry", "Unknown"),
    # date type (start and completion dates)
    "ACTUAL": pgettext_lazy("registry", "Actual"),
    "ESTIMATED": pgettext_lazy("registry", "Estimated"),
    # study type
    "INTERVENTIONAL": pgettext_lazy("registry", "Interventional"),
    "OBSERVATIONAL": pgettext_lazy("registry", "Observational"),
    "EXPANDED_ACCESS": pgettext_lazy("registry", "Expanded access"),
    # allocation
    "RANDOMIZED": pgettext_lazy("registry", "Randomized"),
    "NON_RANDOMIZED": pgettext_lazy("registry", "Non randomized"),
    "NA": pgettext_lazy("registry", "Na"),
    # primary purpose
    "TREATMENT": pgettext_lazy("registry", "Treatment"),
    "PREVENTION": pgettext_lazy("registry", "Prevention"),
    "DIAGNOSTIC": pgettext_lazy("registry", "Diagnostic"),
    "ECT": pgettext_lazy("registry", "Ect"),
    "SUPPORTIVE_CARE": pgettext_lazy("registry", "Supportive care"),
    "SCREENING": pgettext_lazy("registry", "Screening"),
    "HEALTH_SERVICES_RESEARCH": pgettext_lazy("registry", "Health services research"),
    "BASIC_SCIENCE": pgettext_lazy("registry", "Basic science"),
    "DEVICE_FEASIBILITY": pgettext_lazy("registry", "Device feasibility"),
    "OTHER": pgettext_lazy("registry", "Other"),
    # masking and who is masked
    "NONE": pgettext_lazy("registry", "None"),
    "SINGLE": pgettext_lazy("registry", "Single"),
    "DOUBLE": pgettext_lazy("registry", "Double"),
    "TRIPLE": pgettext_lazy("registry", "Triple"),
    "QUADRUPLE": pgettext_lazy("registry", "Quadruple"),
    "PARTICIPANT": pgettext_lazy("registry", "Participant"),
    "CARE_PROVIDER": pgettext_lazy("registry", "Care provider"),
    "INVESTIGATOR": pgettext_lazy("registry", "Investigator"),
    "OUTCOMES_ASSESSOR": pgettext_lazy("registry", "Outcomes assessor"),
    # arm types
    "EXPERIMENTAL": pgettext_lazy("registry", "Experimental"),
    "ACTIVE_COMPARATOR": pgettext_lazy("registry", "Active comparator"),
    "PLACEBO_COMPARATOR": pgettext_lazy("registry", "Placebo comparator"),
    "SHAM_COMPARATOR": pgettext_lazy("registry", "Sham comparator"),
    "NO_INTERVENTION": pgettext_lazy("registry", "No intervention"),
    # intervention types
    "BEHAVIORAL": pgettext_lazy("registry", "Behavioral"),
    "BIOLOGICAL": pgettext_lazy("registry", "Biological"),
    "COMBINATION_PRODUCT": pgettext_lazy("registry", "Combination product"),
    "DEVICE": pgettext_lazy("registry", "Device"),
    "DIAGNOSTIC_TEST": pgettext_lazy("registry", "Diagnostic test"),
    "DIETARY_SUPPLEMENT": pgettext_lazy("registry", "Dietary supplement"),
    "DRUG": pgettext_lazy("registry", "Drug"),
    "GENETIC": pgettext_lazy("registry", "Genetic"),
    "PROCEDURE": pgettext_lazy("registry", "Procedure"),
    "RADIATION": pgettext_lazy("registry", "Radiation"),
}
PHASE_LABELS = {
    "NA": pgettext_lazy("registry", "N/A"),
    "EARLY_PHASE1": pgettext_lazy("registry", "Early Phase 1"),
    "PHASE1": pgettext_lazy("registry", "Phase 1"),
    "PHASE2": pgettext_lazy("registry", "Phase 2"),
    "PHASE3": pgettext_lazy("registry", "Phase 3"),
    "PHASE4": pgettext_lazy("registry", "Phase 4"),
}
INTERVENTION_MODELS = {
    "SINGLE_GROUP": pgettext_lazy("registry", "Single group assignment"),
    "PARALLEL": pgettext_lazy("registry", "Parallel assignment"),
    "CROSSOVER": pgettext_lazy("registry", "Crossover assignment"),
    "FACTORIAL": pgettext_lazy("registry", "Factorial assignment"),
    "SEQUENTIAL": pgettext_lazy("registry", "Sequential assignment"),
}
TERM_KINDS = {
    "mesh": pgettext_lazy("registry", "MeSH term"),
    "ancestor": pgettext_lazy("registry", "MeSH ancestor"),
    "condition": pgettext_lazy("registry", "condition"),
    "keyword": pgettext_lazy("registry", "keyword"),
}


def words(code: str | None) -> str:
    """ "PLACEBO_COMPARATOR" -> "Placebo comparator" (in the active language); None -> ""."""
    if not code:
        return ""
    label = CODE_LABELS.get(code)
    return str(label) if label is not None else format_status(code)


def phases_text(phases: tuple[str, ...] | list[str]) -> str:
    """Write phases as the page does ("Phase 1/Phase 2", "N/A"); no phase is ""."""
    return "/".join(str(PHASE_LABELS[phase]) for phase in phases)


def partial_date(value: str) -> str:
    """ "2020-01-13" -> "January 13, 2020"; "2022-04" -> "April 2022" (in the active language)."""
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = str(MONTHS[parts[1]])
    if len(parts) == 2:
        return pgettext("month and year", "%(month)s %(year)d") % {
            "month": month, "year": parts[0]}
    return pgettext("full date", "%(month)s %(day)d, %(year)d") % {
        "month": month, "day": parts[2], "year": parts[0]}


def related_reasons(trial: RelatedTrial) -> list[str]:
    """Why a trial is related, heaviest shared term first (``RelatedTrial.reasons``, translated)."""
    reasons = []
    for shared in trial.shared:
        values = {"kind": TERM_KINDS[shared.kind], "term": shared.term}
        reasons.append(_("%(kind)s: %(term)s (inferred)") % values if shared.inferred
                       else _("%(kind)s: %(term)s") % values)
    if trial.listed:
        reasons.append(_("listed as related on the registry page"))
    return reasons
