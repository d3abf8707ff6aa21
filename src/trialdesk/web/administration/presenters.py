"""What the administration pages show: rows of users, sites, delegations and training."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from trialdesk.web.administration import gate
from trialdesk.web.administration.actions import settings_of
from trialdesk.web.administration.models import AccountFlags, Delegation, TrainingRecord
from trialdesk.web.core import clock
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_policy, get_protocol


def assignable_roles(language: str) -> list[tuple[str, str]]:
    """The roles the administrator may give (none that sees arms), with their names."""
    policy = get_policy()
    return [(role.code, role.name.text(language)) for role in get_protocol().roles
            if not policy.sees_any_arm(role.code)]


def site_codes() -> list[str]:
    return list(Site.objects.order_by("code").values_list("code", flat=True))


@dataclass(frozen=True)
class MembershipRow:
    membership: Membership
    usable: bool
    state: str  # gate.STATES' key, "" when usable
    signer: gate.Signer | None


def membership_rows(user: Any) -> list[MembershipRow]:
    rows = []
    for membership in Membership.objects.filter(user=user).select_related("site").order_by("pk"):
        usable = Delegation.objects.filter(gate.current_signed(membership)).exists()
        rows.append(MembershipRow(
            membership, usable, "" if usable else gate.delegation_state(membership),
            None if usable else gate.signer_of(membership)))
    return rows


@dataclass(frozen=True)
class TrainingRow:
    record: TrainingRecord
    expired: bool


def training_rows(user: Any, today: dt.date | None = None) -> list[TrainingRow]:
    today = today or clock.today()
    return [TrainingRow(record, record.expires_on is not None and record.expires_on < today)
            for record in TrainingRecord.objects.filter(person=user).order_by("-completed_on",
                                                                               "pk")]


def user_rows() -> list[dict[str, Any]]:
    today = clock.today()
    expired = set(TrainingRecord.objects.filter(expires_on__lt=today)
                  .values_list("person_id", flat=True))
    forced = set(AccountFlags.objects.filter(must_change_password=True)
                 .values_list("user_id", flat=True))
    rows = []
    for user in get_user_model().objects.order_by("username"):
        rows.append({"user": user, "memberships": membership_rows(user),
                     "expired_training": user.pk in expired,
                     "must_change_password": user.pk in forced})
    return rows


def site_rows() -> list[dict[str, Any]]:
    return [{"site": site, "settings": settings_of(site)}
            for site in Site.objects.order_by("code")]


def site_investigators(site: Site) -> list[str]:
    """The usernames that may be named the site's principal investigator."""
    signers = [role.code for role in get_protocol().roles
               if gate.SITE_SIGNER_PERMISSION in role.permissions and role.site_scoped]
    return sorted(set(Membership.objects.filter(site=site, role__in=signers, user__is_active=True)
                      .values_list("user__username", flat=True)))


def delegation_log() -> list[Delegation]:
    return list(Delegation.objects.select_related("person", "site").order_by("-created_at", "-pk"))


def must_change_password(user: Any) -> bool:
    return AccountFlags.objects.filter(user=user, must_change_password=True).exists()


def endable_delegations(person: Any) -> list[tuple[int, str]]:
    """The person's entries that have not ended, as the end form offers them."""
    today = clock.today()
    entries = (Delegation.objects.filter(person=person).select_related("site")
               .exclude(end_date__lt=today).order_by("pk"))
    return [(entry.pk, f"#{entry.pk} {entry.role}"
             f"{' · ' + entry.site.code if entry.site_id else ''}") for entry in entries]
