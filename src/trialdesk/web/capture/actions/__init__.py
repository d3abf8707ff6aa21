"""The only writers of data-capture records: each ``do_*`` is one transaction with its audit."""

from trialdesk.web.capture.actions.forms import do_save_form
from trialdesk.web.capture.actions.locks import (
    do_close_lock_override,
    do_confirm_lock_override,
    do_lock,
    do_request_lock_override,
    do_unlock,
)
from trialdesk.web.capture.actions.queries import (
    do_answer_query,
    do_close_query,
    do_raise_query,
    do_reopen_query,
)
from trialdesk.web.capture.actions.signatures import (
    do_sign,
    do_sign_forms,
    do_sign_visit,
    do_sign_visits,
)
from trialdesk.web.capture.actions.visits import do_discontinue, do_mark_visit_not_done

__all__ = [
    "do_answer_query", "do_close_lock_override", "do_close_query", "do_confirm_lock_override",
    "do_discontinue", "do_lock", "do_mark_visit_not_done", "do_raise_query", "do_reopen_query",
    "do_request_lock_override", "do_save_form", "do_sign", "do_sign_forms", "do_sign_visit",
    "do_sign_visits", "do_unlock",
]
