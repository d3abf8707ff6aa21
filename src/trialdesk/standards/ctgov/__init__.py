"""ClinicalTrials.gov API v2 study records: strict models, reading files, writing a protocol."""

from trialdesk.standards.ctgov.facts import StudyFacts, facts_from_protocol, facts_from_study
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.ctgov.reader import ImportIssue, RegistryImportError, read_files
from trialdesk.standards.ctgov.writer import study_from_protocol, study_to_json

__all__ = [
    "ImportIssue", "RegistryImportError", "Study", "StudyFacts", "facts_from_protocol",
    "facts_from_study", "read_files", "study_from_protocol", "study_to_json",
]
