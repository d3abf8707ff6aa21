"""The ADaM export: ADSL and ADTTE (time to death to day 28) as SAS transport v5 and CSV, with
define.xml 2.1.

The rows are the ones the demo's outputs derive (``simulation.outputs``: the final report's own
derivation), with the treatment columns replaced by the export's allocation: the real arm, the
dummy allocation's labelled group, or empty. ``trialdesk analyze`` on either file gives the
report's figures (tests/web/exports).
"""

from __future__ import annotations

from pathlib import Path

from trialdesk.standards.sdtm.adam import adsl_frame, adtte_frame
from trialdesk.standards.sdtm.common import Study
from trialdesk.standards.sdtm.define import write_define
from trialdesk.standards.sdtm.spec import ADSL, ADTTE
from trialdesk.standards.sdtm.xpt import write_xpt
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.arms import arm_cells
from trialdesk.web.exports.formats import ExportContext, Progress
from trialdesk.web.simulation.outputs import _time_to_death, analysis_subjects


def write_adam(context: ExportContext, folder: Path, progress: Progress) -> list[Path]:
    progress(0, 4)
    cells = arm_cells(context)
    subjects = analysis_subjects()
    for subject in subjects:
        cell = cells.get(subject["SUBJID"])
        label = cell.label if cell is not None else ""
        subject.update(ARM=label, TRT01P=label, TRT01A=label)
    progress(1, 4)
    events = [_time_to_death(subject) for subject in subjects]
    written, datasets = [], {}
    for step, (spec, frame) in enumerate(((ADSL, adsl_frame(subjects)),
                                          (ADTTE, adtte_frame(events))), start=2):
        written.append(write_xpt(frame, spec, folder))
        csv_path = folder / f"{spec.name.lower()}.csv"
        frame.to_csv(csv_path, index=False)
        written.append(csv_path)
        datasets[spec.name] = (spec, frame)
        progress(step, 4)
    written.append(write_define(Study(get_protocol()), datasets, folder,
                                allocation=context.allocation,
                                created=context.requested_at))
    progress(4, 4)
    return written
