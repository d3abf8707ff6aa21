"""Each randomized participant's arm cell (ARMCD/ARM) under the export's allocation."""

from __future__ import annotations

from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.web.exports.formats import ExportContext
from trialdesk.web.trials.analysis_groups import coded_group_labels
from trialdesk.web.trials.presenters import arm_label


def arm_cells(context: ExportContext) -> dict[str, ArmCell]:
    """Participant code -> arm cell: the real arm, the dummy allocation's group (numbered as the
    analysis pages number groups), or nothing (allocation "none": an empty mapping)."""
    if context.allocation == "real":
        return {code: ArmCell.real(arm, arm_label(arm, "en"))
                for code, arm in context.arm_of.items()}
    if context.allocation == "dummy":
        groups = {arm: int(label.rsplit(" ", 1)[1]) for arm, label in
                  coded_group_labels().items()}
        return {code: ArmCell.dummy_group(groups[arm]) for code, arm in context.arm_of.items()}
    return {}
