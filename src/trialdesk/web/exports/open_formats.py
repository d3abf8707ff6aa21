"""The ODM, CSV + data dictionary and FHIR exports: the framework's writers for the standards in
``trialdesk.standards`` (odm, data_dictionary, fhir_bundle), fed by ``odm_source``.

Each reads the participants a batch at a time and reports its progress per participant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trialdesk.standards.data_dictionary import write_form_csvs
from trialdesk.standards.export_data import SubjectRecord
from trialdesk.standards.fhir_bundle import write_fhir_bundle
from trialdesk.standards.odm import validate_odm, write_odm
from trialdesk.web.exports.formats import ExportContext, Progress
from trialdesk.web.exports.odm_source import signature_meanings, trial_export

ODM_FILE = "trialdesk-odm-1.3.2.xml"
FHIR_FILE = "trialdesk-fhir-r4-bundle.json"


class ExportInvalid(ValueError):
    """A written file failed its schema: never handed out."""


def _counter(total: int, progress: Progress) -> Callable[[SubjectRecord], None]:
    done = [0]
    progress(0, total)

    def advance(_: SubjectRecord) -> None:
        done[0] += 1
        progress(done[0], max(total, done[0]))

    return advance


def write_odm_export(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    """ODM 1.3.2 (metadata, clinical data, audit trail, signatures), checked against the schema."""
    export = trial_export(context)
    path = folder / ODM_FILE
    with path.open("wb") as out:
        write_odm(export, out, on_subject=_counter(export.subject_count or 0, progress),
                  signature_meanings=signature_meanings())
    problems = validate_odm(path)
    if problems:
        path.unlink()
        raise ExportInvalid(f"the ODM file fails the ODM 1.3.2 schema: {problems[0]}")
    return [path]


def write_csv_export(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    """Every form as CSV plus the REDCap-style data dictionary."""
    export = trial_export(context, history=False)
    return write_form_csvs(export, folder,
                           on_subject=_counter(export.subject_count or 0, progress))


def write_fhir_export(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    """The FHIR R4 Bundle: ResearchStudy, and per participant Patient, ResearchSubject, Consent."""
    export = trial_export(context, forms=False, history=False)
    path = folder / FHIR_FILE
    with path.open("w", encoding="utf-8") as out:
        write_fhir_bundle(export, out, on_subject=_counter(export.subject_count or 0, progress))
    return [path]
