"""The only writers of safety records: each ``do_*`` is one transaction with its audit."""

from trialdesk.web.safety.actions.delivery import do_record_alert_delivery
from trialdesk.web.safety.actions.events import (
    CODE_TERMS,
    do_code_adverse_event,
    do_record_follow_up,
    do_report_adverse_event,
    do_update_adverse_event,
)

__all__ = [
    "CODE_TERMS", "do_code_adverse_event", "do_record_alert_delivery", "do_record_follow_up",
    "do_report_adverse_event", "do_update_adverse_event",
]
