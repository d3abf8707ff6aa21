"""Template helpers of the deviation pages: labels of the log's codes in the current language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS = {
    # severity
    "major": _("major"), "minor": _("minor"),
    # how it was discovered
    "monitoring_visit": _("monitoring visit"), "data_review": _("data review"),
    "site_self_report": _("site self-report"), "central_check": _("central check"),
    # status
    "open": _("open"), "capa_in_progress": _("CAPA in progress"), "closed": _("closed"),
    # the ethics committee report
    "not_required": _("not required"), "due": _("due"), "overdue": _("overdue"),
    "reported": _("reported"),
    # what keeps a deviation from being closed (the field of each blocker)
    "blocker:corrective_action": _("the corrective action is not written"),
    "blocker:preventive_action": _("the preventive action is not written"),
    "blocker:capa_completed_on": _("the CAPA is not completed"),
    "blocker:ethics_reported_on": _("the report to the ethics committee is not recorded"),
}


@register.filter
def deviation_label(code: Any) -> Any:
    """The label of a code of the log, translated (the code itself if it has none)."""
    return LABELS.get(str(code), code)
