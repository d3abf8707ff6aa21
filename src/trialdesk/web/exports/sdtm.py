"""The SDTM export: every domain as a SAS transport v5 file and define.xml 2.1 describing them.

Records are read a chunk of participants at a time (``sdtm_records``); each chunk's rows become a
frame at once, so that memory holds frames (compact) rather than rows (dicts). The arm columns
carry the allocation the framework decided; EX names the treatment only with the real arms.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from trialdesk.standards.sdtm import design, form_domains, subject_domains
from trialdesk.standards.sdtm.common import Study
from trialdesk.standards.sdtm.define import DatasetFacts, dataset_facts, write_define
from trialdesk.standards.sdtm.frames import joined, numbered, to_frame
from trialdesk.standards.sdtm.long_text import supplemental_rows
from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.standards.sdtm.spec import SDTM_DATASETS, Dataset
from trialdesk.standards.sdtm.xpt import write_xpt
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.formats import ExportContext, Progress
from trialdesk.web.exports.sdtm_records import (
    CHUNK,
    by_subject,
    chunks,
    form_records,
    form_stream,
    subjects,
)
from trialdesk.web.exports.version_source import recorded_forms, recorded_versions

Builder = Callable[[Study, Subject, list[FormRecord]], list[dict[str, Any]]]


def _fields(form_codes: tuple[str, ...], numeric_only: bool = True) -> dict[str, Any]:
    """The fields of these forms in any recorded protocol version (issue 17: a field an amendment
    adds reaches its domain; one it removes keeps its data there)."""
    found = {}
    for form in recorded_forms().forms:
        if form.code in form_codes:
            for field in form.fields:
                if not numeric_only or field.type in ("integer", "decimal"):
                    found[field.code] = field
    return found


def _domains(context: ExportContext) -> list[tuple[str, tuple[str, ...], Builder, str | None]]:
    """(dataset, forms read, builder, --SEQ variable) of the subject-level domains."""
    vitals = {code: f for code, f in _fields(("vital_signs", "demographics")).items()
              if code != "age"}
    labs = _fields(("laboratory", "cytokines"))
    # each version's own definitions: a result gets the normal range it was captured under
    labs_by_version = {version.number: {field.code: field for form in version.protocol.forms
                                        if form.code in ("laboratory", "cytokines")
                                        for field in form.fields}
                       for version in recorded_versions()}
    real = context.allocation == "real"
    return [
        ("DS", (), lambda st, s, f: subject_domains.ds_rows(st, s), None),
        ("SV", ("vital_signs", "laboratory", "cytokines", "respiratory", "sofa", "infusion",
                "end_of_study", "demographics", "eligibility"),
         subject_domains.sv_rows, None),
        ("EX", ("infusion",), lambda st, s, f: subject_domains.ex_rows(
            st, s, f, context.arm_of.get(s.code) if real else None), "EXSEQ"),
        ("AE", ("adverse_event",), form_domains.ae_rows, "AESEQ"),
        ("CM", ("concomitant_medication",), form_domains.cm_rows, "CMSEQ"),
        ("VS", ("vital_signs", "demographics"),
         lambda st, s, f: form_domains.vs_rows(st, s, f, vitals), "VSSEQ"),
        ("LB", ("laboratory", "cytokines"),
         lambda st, s, f: form_domains.lb_rows(st, s, f, labs, labs_by_version), "LBSEQ"),
    ]


def write_sdtm(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    """Each dataset is written as soon as it is built and then freed (define.xml keeps only
    its columns' facts): memory holds one domain at a time."""
    # the visits of every recorded version: a visit an amendment adds is named and numbered
    # (VISITNUM in the protocols' order) in the domains and in TV
    study = Study(get_protocol().model_copy(update={"visits": list(recorded_forms().visits)}))
    people = subjects(context)
    domains = _domains(context)
    total = 3 + len(domains) * max(1, -(-len(people) // CHUNK)) + 1
    done = 0
    progress(done, total)
    written: list[Path] = []
    described: dict[str, tuple[Dataset, DatasetFacts]] = {}

    def finish(name: str, frame: pd.DataFrame) -> None:
        spec = SDTM_DATASETS[name]
        written.append(write_xpt(frame, spec, folder))
        described[name] = (spec, dataset_facts(spec, frame))

    demographics = {code: records[0].values for code, records in form_records(
        ("demographics",), [s.code for s in people]).items()}
    dm = to_frame(SDTM_DATASETS["DM"], [
        subject_domains.dm_row(study, s, demographics.get(s.code, {})) for s in people])
    # a text over 200 bytes goes on in SUPP-- (SDTMIG 4.5.3.2) rather than failing the export
    dm_rest = supplemental_rows(dm, SDTM_DATASETS["DM"])
    finish("DM", dm)
    finish("SUPPDM", to_frame(SDTM_DATASETS["SUPPDM"], [
        row for s in people for row in subject_domains.suppdm_rows(study, s)] + dm_rest))
    done += 1
    progress(done, total)
    for name, forms, build, seq in domains:
        spec = SDTM_DATASETS[name]
        parts, rest = [], []
        supplemented = f"SUPP{name}" in SDTM_DATASETS
        stream = form_stream(forms, values=name != "SV") if forms else iter(())
        for chunk in chunks(by_subject(people, stream)):
            rows = []
            for subject, records in chunk:
                built = build(study, subject, records)
                rows += numbered(built, seq) if seq else built
            parts.append(to_frame(spec, rows, drop_empty=False))
            if supplemented:
                rest += supplemental_rows(parts[-1], spec)
            done += 1
            progress(min(done, total - 2), total)
        finish(name, joined(spec, parts))
        del parts
        if rest:  # SUPPAE, SUPPCM...: only when some text went on (no empty datasets)
            finish(f"SUPP{name}", to_frame(SDTM_DATASETS[f"SUPP{name}"], rest))
    for name, rows in (("TA", design.ta_rows(study)), ("TE", design.te_rows(study)),
                       ("TV", design.tv_rows(study)), ("TS", design.ts_rows(study))):
        finish(name, to_frame(SDTM_DATASETS[name], rows))
    progress(total - 1, total)
    written.append(write_define(study, described, folder, allocation=context.allocation,
                                created=context.requested_at))
    progress(total, total)
    return written
