"""Checking a deviation's values: each refusal names the field and the rule it breaks.

The texts every blinded reader of the log sees (description, CAPA, ethics reference, the reason of
a change, which goes to the audit trail) may not name an arm or the arm-specific product: the same
texts the blinding matrix looks for (``trialdesk.blinding.arm_revealing_texts``), in any case.
Such an account belongs in the unblinding details of an allocation category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialdesk import deviations as rules
from trialdesk.blinding import arm_revealing_texts
from trialdesk.protocol.deviations import DeviationRules
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.deviations.models import REFERENCE_MAX, TEXT_MAX
from trialdesk.web.safety.values import text

# the fields a report or an update may set, in the order pages show them
EDITABLE = ("category", "severity", "description", "occurred_on", "discovered_on",
            "discovered_by", "discovery_method", "corrective_action", "preventive_action",
            "capa_owner", "capa_due_on", "capa_completed_on", "ethics_reported_on",
            "ethics_reference")
REQUIRED = ("category", "severity", "description", "occurred_on", "discovery_method")
FREE_TEXTS = {"description": TEXT_MAX, "corrective_action": TEXT_MAX,
              "preventive_action": TEXT_MAX, "ethics_reference": REFERENCE_MAX}
DATES = ("occurred_on", "discovered_on", "capa_due_on", "capa_completed_on",
         "ethics_reported_on")
USERS = ("discovered_by", "capa_owner")
DEFAULTS: dict[str, Any] = dict.fromkeys(FREE_TEXTS, "") | {
    "discovered_on": None, "capa_due_on": None, "capa_completed_on": None,
    "ethics_reported_on": None, "capa_owner": None, "discovered_by": None}
MIN_REASON = 5


def deviation_rules() -> DeviationRules:
    """The running protocol's ``[deviations]``; a protocol without one keeps no deviation log."""
    found = get_protocol().deviations
    if found is None:
        raise InvalidInput("category", "the protocol defines no deviation categories")
    return found


def names_an_arm(value: str) -> bool:
    """True if ``value`` holds an arm label, arm description or arm-specific product name."""
    folded = value.casefold()
    return any(arm.casefold() in folded for arm in arm_revealing_texts(get_protocol()))


def blinded_text(field: str, value: Any, *, limit: int, required: bool) -> str:
    """A free text blinded readers see: checked as any text, and refused if it names an arm."""
    value = text(field, value, limit=limit, required=required)
    if names_an_arm(value):
        raise InvalidInput(field, "must not name an arm or the study product: blinded roles "
                                  "read it (write that under unblinding_details)")
    return value


def reason(value: Any) -> str:
    """The reason of a change (it goes to the audit trail): at least a few words, no arm."""
    value = blinded_text("reason", value, limit=TEXT_MAX, required=False)
    if len(value) < MIN_REASON:
        raise InvalidInput("reason", f"must say why, in at least {MIN_REASON} characters")
    return value


def date(field: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)") from None


def trial_user(field: str, value: Any, site: Site) -> Any:
    """The user named (a username or a user): a member of the trial who acts at ``site``."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        return value
    memberships = list(Membership.objects.select_related("user", "site")
                       .filter(user__username=value, user__is_active=True, active=True))
    if not memberships:
        raise InvalidInput(field, "must be the username of an active member of the trial")
    here = next((m for m in memberships if m.site is None or m.site_id == site.pk), None)
    if here is None:
        raise InvalidInput(field, f"must be a member at {site.code} or of the whole trial")
    return here.user


def clean(values: Mapping[str, Any], *, site: Site, today: dt.date,
          current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the deviation's values, checked; ``current``: the stored ones an update starts
    from (a field left out keeps its value). ``today``: the site's calendar day."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(unknown[0], "is not a field of a deviation")
    merged = {**(current or DEFAULTS), **values}
    for field in REQUIRED:
        if merged.get(field) in (None, ""):
            raise InvalidInput(field, "is required")
    found = deviation_rules()
    if not isinstance(merged["category"], str) or found.category(merged["category"]) is None:
        codes = ", ".join(category.code for category in found.categories)
        raise InvalidInput("category", f"must be one of {codes}")
    cleaned: dict[str, Any] = {"category": merged["category"]}
    for field, options in (("severity", rules.SEVERITIES),
                           ("discovery_method", rules.DISCOVERY_METHODS)):
        if merged[field] not in options:
            raise InvalidInput(field, f"must be one of {', '.join(options)}")
        cleaned[field] = merged[field]
    for field, limit in FREE_TEXTS.items():
        cleaned[field] = blinded_text(field, merged.get(field), limit=limit,
                                      required=field == "description")
    for field in DATES:
        cleaned[field] = date(field, merged.get(field))
    # a report without it: discovered today; an update that clears it keeps the stored day
    cleaned["discovered_on"] = (cleaned["discovered_on"] or (current or {}).get("discovered_on")
                                or today)
    for field in USERS:
        cleaned[field] = trial_user(field, merged.get(field), site)
    _check_dates(cleaned, today)
    if cleaned["ethics_reported_on"] is not None and cleaned["severity"] != rules.MAJOR:
        raise InvalidInput("ethics_reported_on", "is for a major deviation only")
    if cleaned["ethics_reference"] and cleaned["ethics_reported_on"] is None:
        raise InvalidInput("ethics_reported_on", "is required with an ethics reference")
    return cleaned


# A corrective or preventive action due years after its deviation was found is a typed year
# (9999-12-31 was stored), not a plan: the monitoring plan's horizon (3 years) is the limit.
CAPA_DUE_AHEAD = dt.timedelta(days=3 * 366)


def _check_dates(values: dict[str, Any], today: dt.date) -> None:
    found = rules.date_rule(occurred_on=values["occurred_on"],
                            discovered_on=values["discovered_on"], today=today,
                            earliest=get_protocol().earliest_date())
    if found:
        raise InvalidInput(*found)
    discovered = values["discovered_on"]
    due = values["capa_due_on"]
    if due is not None and not discovered <= due <= discovered + CAPA_DUE_AHEAD:
        raise InvalidInput("capa_due_on", "must be on or after the day it was discovered and "
                                          "at most 3 years after it")
    for field in ("capa_completed_on", "ethics_reported_on"):
        day = values[field]
        if day is not None and not discovered <= day <= today:
            raise InvalidInput(field, "must be between the day it was discovered and today")
    if values["capa_completed_on"] is not None and not (values["corrective_action"]
                                                         or values["preventive_action"]):
        raise InvalidInput("capa_completed_on", "needs a corrective or preventive action")


def unblinding_details(value: Any, category: str) -> str:
    """The details that may reveal an arm: only for a category the protocol marks may_unblind."""
    value = text("unblinding_details", value, limit=TEXT_MAX, required=False)
    found = deviation_rules().category(category)
    if value and not (found and found.may_unblind):
        allowed = ", ".join(c.code for c in deviation_rules().categories if c.may_unblind)
        raise InvalidInput("unblinding_details",
                           f"is for a category that may reveal the allocation ({allowed})")
    return value


def as_json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is not None and hasattr(value, "get_username"):
        return value.get_username()
    return value
