"""Template helpers: protocol texts and status names in the current language."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.timezones import local_time

register = template.Library()
ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")

STATUS_LABELS = {
    "screen_failed": _("Not eligible"),
    "eligible": _("Eligible, awaiting consent"),
    "consented": _("Consented"),
    "randomized": _("Randomized"),
    # after randomization (capture.progress): the dispensing only to a viewer who sees the arm
    "awaiting_dispensing": _("Randomized, awaiting dispensing"),
    "dispensed": _("Kit dispensed"),
    "follow_up": _("In follow-up"),
    "completed": _("Follow-up completed"),
    "withdrawn": _("Withdrawn"),
    "died": _("Died"),
}
CRITERION_LABELS = {"met": _("met"), "not_met": _("not met"), "missing": _("not decided")}
KIND_LABELS = {"inclusion": _("Inclusion"), "exclusion": _("Exclusion")}


@register.filter
def role_name(code: str) -> str:
    """Return the protocol's name of a role in the current language."""
    return get_protocol().role(code).name.text(get_language() or "en")


@register.filter
def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


@register.filter
def criterion_label(code: str) -> str:
    return str(CRITERION_LABELS.get(code, code))


@register.filter
def kind_label(code: str) -> str:
    return str(KIND_LABELS.get(code, code))


@register.filter
def local_when(value: object) -> object:
    """A time, stored or kept as ISO 8601 text, in the reader's zone and as their language
    writes it ("2020-06-07T02:06:13+00:00" -> "06/06/2020 21:06:13 -05:00"); a date, or its ISO
    text, as their language writes it ("2020-06-07" -> "07/06/2020"; a date has no zone); other
    values as they are."""
    moment = value
    if isinstance(value, str):
        if ISO_DAY.fullmatch(value):
            return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, dt.datetime):
        return local_time(moment) if moment.tzinfo is not None else value
    if isinstance(moment, dt.date):
        return formats.date_format(moment, "SHORT_DATE_FORMAT")
    return value


@register.filter
def yesno_value(value: object) -> object:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return value


@register.simple_tag
def trial_title() -> str:
    """Return the trial's brief title in the current language."""
    registry = get_protocol().registry
    title = getattr(registry, "brief_title", None) or getattr(registry, "title", None)
    text = title.text(get_language() or "en") if hasattr(title, "text") else str(title or "")
    return f"{registry.nct_id} — {text}" if text else registry.nct_id


@register.filter
def can(actor: object, permission: str) -> bool:
    """Return True if the actor's role holds ``permission`` (for showing links only)."""
    return bool(actor) and actor.can(permission)


@register.filter
def site_status_label(code: str) -> str:
    """A site's status (planned, active, suspended, closed) in the reader's words."""
    from trialdesk.web.trials.site_rules import STATUS_LABELS as SITE_STATUS_LABELS

    return str(SITE_STATUS_LABELS.get(code, code))
