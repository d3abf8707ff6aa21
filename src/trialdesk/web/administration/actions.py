"""The administration pages' writers: each one transaction with its audit record.

Sites: created planned, with their time zone and language; their principal investigator named
(who signs the site's delegations). Users: created with a first role (``accounts``' rules: no
account that sees arms), given more roles, deactivated (``accounts.do_deactivate_user``), their
password reset with a change forced at the next request. A role created here waits for its
delegation to be signed by the principal investigator, password re-entered (``gate``).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from trialdesk.web.accounts.actions import do_add_membership_as, do_create_user_as
from trialdesk.web.administration import gate
from trialdesk.web.administration.models import (
    LANGUAGES,
    AccountFlags,
    Delegation,
    SiteSettings,
    TrainingRecord,
)
from trialdesk.web.capture.actions.signatures import check_signing_password
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.core.refusals import phrase

SITE_CODE = r"^[A-Z]{2}-\d{2}$"  # as the protocol writes site codes
LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)


# refusals are marked (gettext_noop): the pages show them translated (core.refusals)
ZONE_RULE = gettext_noop("must be an IANA time zone such as America/Bogota")


def _zone(time_zone: str) -> str:
    time_zone = time_zone.strip()
    if not time_zone:
        raise InvalidInput("time_zone", ZONE_RULE)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("time_zone", ZONE_RULE) from None
    return time_zone


def _language(language: str) -> str:
    if language not in LANGUAGE_CODES:
        raise InvalidInput("language", phrase(gettext_noop("must be one of %(codes)s"),
                                              codes=", ".join(LANGUAGE_CODES)))
    return language


def protocol_zone(code: str) -> str:
    """The time zone the protocol gives site ``code`` (UTC for a site it does not name)."""
    return next((site.timezone for site in get_protocol().sites if site.code == code), "UTC")


def settings_of(site: Site) -> SiteSettings:
    """The site's settings; a site without them has its protocol zone and Spanish (unsaved)."""
    found = SiteSettings.objects.filter(site=site).first()
    return found or SiteSettings(site=site, time_zone=protocol_zone(site.code), language="es")


@action("manage_sites")
def do_create_site(actor: Actor, *, code: str, name: str, time_zone: str,
                   language: str) -> Site:
    """Create a site, planned (the status page activates it), with its zone and language."""
    code = code.strip().upper()
    if not re.match(SITE_CODE, code):
        raise InvalidInput("code", gettext_noop(
            "must be two capital letters, a hyphen and two digits (CO-04)"))
    if Site.objects.filter(code=code).exists():
        raise InvalidInput("code", phrase(gettext_noop("%(code)s exists already"), code=code))
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", gettext_noop("must be given, in at most 200 characters"))
    time_zone, language = _zone(time_zone), _language(language)
    site = Site.objects.create(code=code, name=name, status=Site.PLANNED)
    SiteSettings.objects.create(site=site, time_zone=time_zone, language=language)
    append_audit(actor=actor.username, action="create_site", model="site", object_id=code,
                 changes={"name": {"old": None, "new": name},
                          "time_zone": {"old": None, "new": time_zone},
                          "language": {"old": None, "new": language},
                          "status": {"old": None, "new": Site.PLANNED}})
    return site


def _site_principal(site: Site, username: str) -> object | None:
    """The user named as the site's principal investigator: an active investigator of the site."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    signers = [role for role in get_protocol().roles
               if gate.SITE_SIGNER_PERMISSION in role.permissions and role.site_scoped]
    if user is None or not Membership.objects.filter(
            user=user, site=site, role__in=[role.code for role in signers]).exists():
        raise InvalidInput("principal_investigator",
                           phrase(gettext_noop("must be an active investigator of site "
                                               "%(site)s"), site=site.code))
    return user


@action("manage_sites")
def do_update_site(actor: Actor, code: str, *, time_zone: str, language: str,
                   principal_investigator: str = "") -> SiteSettings:
    """Change a site's time zone, language and principal investigator (a username, or none)."""
    site = Site.objects.select_for_update().filter(code=code).first()
    if site is None:
        raise NotFound(f"no site {code}")
    time_zone, language = _zone(time_zone), _language(language)
    pi = _site_principal(site, principal_investigator.strip())
    current = settings_of(site)
    old = {"time_zone": current.time_zone if current.pk else None,
           "language": current.language if current.pk else None,
           "principal_investigator": (current.principal_investigator.get_username()
                                      if current.principal_investigator else None)}
    new = {"time_zone": time_zone, "language": language,
           "principal_investigator": pi.get_username() if pi else None}
    changes = {key: {"old": old[key], "new": new[key]} for key in new if old[key] != new[key]}
    if not changes:
        return current
    current.time_zone, current.language, current.principal_investigator = time_zone, language, pi
    current.save()
    append_audit(actor=actor.username, action="update_site", model="site", object_id=code,
                 changes=changes)
    return current


def _dates(start: dt.date | None, end: dt.date | None) -> dt.date:
    start = start or clock.today()
    if end is not None and end < start:
        raise InvalidInput("end_date", gettext_noop("must not be before the start date"))
    return start


def _duties(duties: str) -> str:
    duties = duties.strip()
    if len(duties) < 3:
        raise InvalidInput("duties", gettext_noop("must say which duties are delegated"))
    return duties


def _unsigned_delegation(actor: Actor, membership: Membership, duties: str,
                         start: dt.date, end: dt.date | None) -> Delegation:
    entry = Delegation.objects.create(
        membership=membership, person_id=membership.user_id, role=membership.role,
        site_id=membership.site_id, duties=duties, start_date=start, end_date=end,
        created_by=actor.username, created_at=clock.now())
    append_audit(actor=actor.username, action="record_delegation", model="delegation",
                 object_id=str(entry.pk),
                 changes={"person": {"old": None, "new": membership.user.get_username()},
                          "role": {"old": None, "new": membership.role},
                          "site": {"old": None, "new": membership.site.code
                                   if membership.site_id else None},
                          "duties": {"old": None, "new": duties},
                          "start_date": {"old": None, "new": start.isoformat()},
                          "end_date": {"old": None, "new": end.isoformat() if end else None}})
    return entry


@action("manage_users")
def do_create_user_with_delegation(
    actor: Actor, *, username: str, role: str, site: str | None, password: str, email: str = "",
    language: str = "", duties: str, start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Membership:
    """Create a user with a first role (``accounts``' rules) whose delegation waits unsigned;
    the password the administrator chose must be changed at the first sign-in. With no language
    given, a site role's user gets the language set for the site."""
    duties, start = _duties(duties), _dates(start_date, end_date)
    site_record = Site.objects.filter(code=site).first() if site else None
    if not language and site_record is not None:
        language = settings_of(site_record).language
    with gate.creating_on_the_pages():
        membership = do_create_user_as(actor, username=username, role=role, site=site or None,
                                       password=password, language=language, email=email)
    # the administrator chose the password: the user changes it before anything else
    AccountFlags.objects.create(user_id=membership.user_id, must_change_password=True)
    append_audit(actor=actor.username, action="force_password_change", model="user",
                 object_id=username, changes={"must_change_password": {"old": None, "new": True}})
    _unsigned_delegation(actor, membership, duties, start, end_date)
    return membership


@action("manage_users")
def do_add_role_with_delegation(
    actor: Actor, username: str, *, role: str, site: str | None, duties: str,
    start_date: dt.date | None = None, end_date: dt.date | None = None,
) -> Membership:
    """Give a user another role (at a site), by ``accounts``' rules (not a role that sees arms,
    nor one held already, nor an unblinded role beside a blinded one); its delegation waits
    unsigned."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    if not user.is_active:
        raise Conflict("inactive", phrase(gettext_noop("%(username)s is deactivated"),
                                          username=username))
    duties, start = _duties(duties), _dates(start_date, end_date)
    with gate.creating_on_the_pages():
        membership = do_add_membership_as(actor, username=username, role=role, site=site or None)
    _unsigned_delegation(actor, membership, duties, start, end_date)
    return membership


def _may_sign(actor: Actor, entry: Delegation) -> None:
    if entry.person_id == actor.user.pk:
        raise Forbidden("no one signs their own delegation")
    if gate.signs_as_trial_pi(entry.site_id, entry.person_id):
        if not actor.can(gate.TRIAL_PI_PERMISSION):
            raise Forbidden("this delegation is signed by the trial's principal investigator")
        return
    pi = gate.site_principal_investigator(entry.site_id)
    # the named PI, acting as an investigator of that very site
    if (pi is None or pi.pk != actor.user.pk or not actor.can(gate.SITE_SIGNER_PERMISSION)
            or actor.site != entry.site.code):
        raise Forbidden("this delegation is signed by the site's principal investigator")


def delegations_to_sign(actor: Actor) -> list[Delegation]:
    """The unsigned entries ``actor`` may sign."""
    found = []
    for entry in (Delegation.objects.filter(signed_at__isnull=True)
                  .select_related("person", "site").order_by("pk")):
        try:
            _may_sign(actor, entry)
        except Forbidden:
            continue
        found.append(entry)
    return found


def _signable(actor: Actor, delegation_id: int, *, lock: bool = False) -> Delegation:
    found = Delegation.objects.filter(pk=delegation_id)
    entry = (found.select_for_update() if lock else found).first()
    if entry is None:
        raise NotFound(f"no delegation {delegation_id}")
    _may_sign(actor, entry)
    if entry.signed:
        raise Conflict("already_signed", phrase(gettext_noop(
            "delegation %(delegation)s is signed already"), delegation=delegation_id))
    return entry


def _check_signature(actor: Actor, delegation_id: int, *, password: str) -> None:
    # outside the signing transaction: a wrong password's audit record must survive the refusal
    _signable(actor, delegation_id)
    check_signing_password(actor, password, f"delegation {delegation_id}")


@action(None, before=_check_signature)
def do_sign_delegation(actor: Actor, delegation_id: int, *, password: str) -> Delegation:
    """Sign an entry as the principal investigator who signs it (password re-entered)."""
    entry = _signable(actor, delegation_id, lock=True)
    entry.signed_by, entry.signed_by_name = actor.user, actor.username
    entry.signed_at = clock.now()
    entry.save(update_fields=["signed_by", "signed_by_name", "signed_at"])
    append_audit(actor=actor.username, action="sign_delegation", model="delegation",
                 object_id=str(entry.pk),
                 changes={"signed_by": {"old": None, "new": actor.username},
                          "signed_at": {"old": None, "new": entry.signed_at.isoformat()}})
    return entry


@action("manage_users")
def do_end_delegation(actor: Actor, delegation_id: int, *, end_date: dt.date,
                      reason: str) -> Delegation:
    """End an entry on ``end_date`` (the role is refused from the next day), with the reason.

    Only brought forward: a longer delegation is a new entry, signed again.
    """
    entry = Delegation.objects.select_for_update().filter(pk=delegation_id).first()
    if entry is None:
        raise NotFound(f"no delegation {delegation_id}")
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", gettext_noop("must say why, in at least 10 characters"))
    if end_date < entry.start_date:
        raise InvalidInput("end_date", gettext_noop("must not be before the start date"))
    if entry.end_date is not None and end_date >= entry.end_date:
        raise InvalidInput("end_date", gettext_noop(
            "must be before the present end date: a longer delegation is a new entry, signed "
            "again"))
    old = entry.end_date.isoformat() if entry.end_date else None
    entry.end_date = end_date
    entry.save(update_fields=["end_date"])
    append_audit(actor=actor.username, action="end_delegation", model="delegation",
                 object_id=str(entry.pk),
                 changes={"end_date": {"old": old, "new": end_date.isoformat()}}, reason=reason)
    return entry


@action("manage_users")
def do_record_training(actor: Actor, username: str, *, course: str, completed_on: dt.date,
                       expires_on: dt.date | None = None) -> TrainingRecord:
    """Record a course a person completed, and its expiry (none: it does not expire)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    course = course.strip()
    if not course or len(course) > 200:
        raise InvalidInput("course", gettext_noop("must be given, in at most 200 characters"))
    if completed_on > clock.today():
        raise InvalidInput("completed_on", gettext_noop("must not be after today"))
    if expires_on is not None and expires_on <= completed_on:
        raise InvalidInput("expires_on", gettext_noop("must be after the completion date"))
    record = TrainingRecord.objects.create(
        person=user, course=course, completed_on=completed_on, expires_on=expires_on,
        recorded_by=actor.username, recorded_at=clock.now())
    append_audit(actor=actor.username, action="record_training", model="training",
                 object_id=str(record.pk),
                 changes={"person": {"old": None, "new": username},
                          "course": {"old": None, "new": course},
                          "completed_on": {"old": None, "new": completed_on.isoformat()},
                          "expires_on": {"old": None,
                                         "new": expires_on.isoformat() if expires_on else None}})
    return record


def _sees_arms(user: object) -> bool:
    policy = get_policy()
    return any(policy.sees_any_arm(m.role) for m in Membership.objects.filter(user=user)
               if m.role in policy.role_codes)


@action("manage_users")
def do_reset_password(actor: Actor, username: str, *, new_password: str) -> object:
    """Set a temporary password; the user must change it before doing anything else.

    Not for an account that sees arms (the blinded administrator would know its password), nor
    the administrator's own (they change it themselves).
    """
    user = get_user_model().objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    if user.pk == actor.user.pk:
        raise Conflict("own_account", gettext_noop(
            "an administrator changes their own password themselves"))
    if _sees_arms(user):
        raise InvalidInput("username", phrase(gettext_noop(
            "%(username)s sees arms: its password is reset at the command line, not by the "
            "administrator"), username=username))
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        raise InvalidInput("new_password", " ".join(error.messages)) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    flags, _ = AccountFlags.objects.get_or_create(user=user)
    was = flags.must_change_password
    flags.must_change_password = True
    flags.save(update_fields=["must_change_password"])
    append_audit(actor=actor.username, action="reset_password", model="user",
                 object_id=username,
                 changes={"password": {"old": "(kept hashed)", "new": "(temporary, kept hashed)"},
                          "must_change_password": {"old": was, "new": True}})
    return user


@action(None)
def do_change_own_password(user: object, *, current_password: str,
                           new_password: str) -> None:
    """The user's own change of password (the one the administrator forced, or any)."""
    if not user.check_password(current_password):
        raise InvalidInput("current_password",
                           gettext_noop("does not match your current password"))
    if new_password == current_password:
        raise InvalidInput("new_password", gettext_noop("must differ from the current password"))
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        raise InvalidInput("new_password", " ".join(error.messages)) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    flags = AccountFlags.objects.filter(user=user).first()
    was = bool(flags and flags.must_change_password)
    if flags is not None and was:
        flags.must_change_password = False
        flags.save(update_fields=["must_change_password"])
    append_audit(actor=user.get_username(), action="change_password", model="user",
                 object_id=user.get_username(),
                 changes={"must_change_password": {"old": was, "new": False}})
