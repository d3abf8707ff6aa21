"""Whether a membership's role may be used now: the one check the actor's resolution asks
(``core.actor.ROLE_GATES``, registered in ``apps.py``).

A role is refused while its account must change the password the administrator reset, and while
its membership has no signed, current entry in the delegation-of-authority log. Memberships the
server's operator creates (``trialdesk users``, the demo, ``serve --setup-only``) are delegated at
creation, signed by the system (``delegate_operator_membership``); only those the administration
pages create wait for the principal investigator's signature (``creating_on_the_pages``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q

from trialdesk.web.administration.models import AccountFlags, Delegation, SiteSettings
from trialdesk.web.core import clock
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.models import Membership

OPERATOR_DUTIES = "Delegated by the server's operator when the account was created."
TRIAL_PI_PERMISSION = "confirm_lock_override"  # the trial-wide principal investigator's
SITE_SIGNER_PERMISSION = "sign_forms"  # a site's principal investigator is one of its investigators

# why no entry makes a role usable (the refusal page translates them)
STATES = {"missing": "not recorded", "unsigned": "not yet signed",
          "not_started": "not started yet", "ended": "ended"}
TRIAL_PI, SITE_PI, UNNAMED = "trial_pi", "site_pi", "unnamed"


@dataclass(frozen=True)
class Signer:
    """Who signs a delegation: the trial's PI, the site's named PI, or a PI not yet named."""

    kind: str
    username: str = ""
    name: str = ""

    def in_words(self) -> str:
        if self.kind == TRIAL_PI:
            return "the trial's principal investigator"
        if self.kind == UNNAMED:
            return "the site's principal investigator (not yet named by the administrator)"
        return f"the site's principal investigator, {self.name} ({self.username})"


_on_the_pages: contextvars.ContextVar[bool] = contextvars.ContextVar("on_the_pages", default=False)


class PasswordChangeRequired(Forbidden):
    """The administrator reset the password: nothing else until the user changes it."""


class RoleNotDelegated(Forbidden):
    """The membership's delegation is not signed (or not current); ``signer`` says who signs."""

    def __init__(self, membership: Membership, state: str, signer: Signer) -> None:
        where = membership.site.code if membership.site_id else "all sites"
        super().__init__(f"the delegation of the role {membership.role} at {where} is "
                         f"{STATES[state]}; it is signed by {signer.in_words()}")
        self.role, self.site, self.state, self.signer = membership.role, where, state, signer


@contextlib.contextmanager
def creating_on_the_pages() -> Iterator[None]:
    """Within it, a new membership is not delegated by the system: its entry waits unsigned."""
    token = _on_the_pages.set(True)
    try:
        yield
    finally:
        _on_the_pages.reset(token)


def delegate_operator_membership(sender: Any, instance: Membership, created: bool,
                                 raw: bool = False, **kwargs: Any) -> None:
    """Record a membership the operator created as delegated, signed by the system.

    Its audit record is the operator's ``create_user`` (same transaction, same grant); it writes
    none of its own, so that the tests' tables written without an audit stay without one.
    """
    if raw or not created or _on_the_pages.get():
        return
    now = clock.now()
    Delegation.objects.create(
        membership=instance, person_id=instance.user_id, role=instance.role,
        site_id=instance.site_id, duties=OPERATOR_DUTIES, start_date=now.date(),
        created_by=Delegation.SYSTEM, created_at=now, signed_by_name=Delegation.SYSTEM,
        signed_at=now)


def current_signed(membership: Membership) -> Q:
    """The entries that make ``membership``'s role usable today."""
    today = clock.today()
    return (Q(membership=membership, role=membership.role, site_id=membership.site_id,
              signed_at__isnull=False)
            & (Q(start_date__lte=today) | Q(signed_by_name=Delegation.SYSTEM))
            & (Q(end_date__isnull=True) | Q(end_date__gte=today)))


def refuse_unusable_role(membership: Membership) -> None:
    """Raise PasswordChangeRequired or RoleNotDelegated unless the role may be used now.

    One statement for both checks: it runs on every request, the randomization's included
    (tests/web/test_web_randomize_statements.py pins that path's statements).
    """
    must_change, delegated = (
        Membership.objects.filter(pk=membership.pk)
        .annotate(must_change=Exists(AccountFlags.objects.filter(
                      user_id=OuterRef("user_id"), must_change_password=True)),
                  delegated=Exists(Delegation.objects.filter(current_signed(membership))))
        .values_list("must_change", "delegated").get())
    if must_change:
        raise PasswordChangeRequired("the administrator reset this account's password: change "
                                     "it before anything else")
    if not delegated:
        raise RoleNotDelegated(membership, delegation_state(membership), signer_of(membership))


def delegation_state(membership: Membership) -> str:
    """Why no entry makes the role usable: unsigned, not started, ended, or none at all."""
    today = clock.today()
    entries = Delegation.objects.filter(membership=membership, role=membership.role,
                                        site_id=membership.site_id)
    if not entries.exists():
        return "missing"
    if entries.filter(signed_at__isnull=True).exists():
        return "unsigned"
    if entries.filter(start_date__gt=today).exists():
        return "not_started"
    return "ended"


def site_time_zone(site_code: str) -> str | None:
    """The zone the administrator set for a site (None: not set; the protocol's applies)."""
    return (SiteSettings.objects.filter(site__code=site_code)
            .values_list("time_zone", flat=True).first())


def site_principal_investigator(site_id: int | None) -> Any:
    """The user named as the site's principal investigator (None: not named)."""
    if site_id is None:
        return None
    found = SiteSettings.objects.filter(site_id=site_id).select_related(
        "principal_investigator").first()
    return found.principal_investigator if found is not None else None


def signs_as_trial_pi(delegation_site_id: int | None, person_id: int) -> bool:
    """Whether the trial-wide principal investigator signs: a trial-wide role, or the site's
    principal investigator's own delegation (no one signs their own)."""
    pi = site_principal_investigator(delegation_site_id)
    return delegation_site_id is None or (pi is not None and pi.pk == person_id)


def signer_of(membership: Membership) -> Signer:
    """Who signs ``membership``'s delegation."""
    if signs_as_trial_pi(membership.site_id, membership.user_id):
        return Signer(TRIAL_PI)
    pi = site_principal_investigator(membership.site_id)
    if pi is None:
        return Signer(UNNAMED)
    return Signer(SITE_PI, pi.get_username(), pi.get_full_name() or pi.get_username())
