"""The only writers of accounts: users with their memberships (role and site), language, API
tokens, and the membership a person acts as."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop

from trialdesk.blinding import ConflictingRoles, UnknownRole, check_role_combination
from trialdesk.web.accounts.models import ApiToken
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor, active_memberships
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_policy
from trialdesk.web.core.refusals import phrase


@action(None)
def do_create_user(
    *, actor: str, username: str, role: str, site: str | None, password: str, language: str = "",
    email: str = "",
) -> Membership:
    """Create a user with a role; a site role needs a site, a trial-wide role must not have one.

    For the server's operator (``trialdesk users create``, the demo, tests): ``actor`` names who
    acts. An administrator creates users through :func:`do_create_user_as`, the same rules.
    """
    return _create_user(actor=actor, username=username, role=role, site=site, password=password,
                        language=language, email=email)


@action("manage_users")
def do_create_user_as(
    actor: Actor, *, username: str, role: str, site: str | None, password: str,
    language: str = "", email: str = "",
) -> Membership:
    """Create a user as a trial administrator (``manage_users``); audited under their name.

    Not an account that sees arms (pharmacist, DSMB statistician): the administrator, who is
    blinded, would choose its password and could sign in as it. Those accounts are created by the
    server's operator at the command line (``trialdesk users create``).
    """
    try:
        unblinded = actor.policy.sees_any_arm(role)
    except UnknownRole as error:
        raise InvalidInput("role", str(error)) from None
    if unblinded:
        # refusals the pages show are marked (gettext_noop): translated there (core.refusals)
        raise InvalidInput("role", phrase(gettext_noop(
            "the role %(role)s sees arms: its accounts are created at the command line "
            "(trialdesk users create), not by the administrator"), role=role))
    return _create_user(actor=actor.username, username=username, role=role, site=site,
                        password=password, language=language, email=email)


def _create_user(
    *, actor: str, username: str, role: str, site: str | None, password: str, language: str,
    email: str = "",
) -> Membership:
    """The body both writers share; runs inside their transaction."""
    site_record = _role_site(role, site)
    if language not in ("", "en", "es"):
        raise InvalidInput("language", "must be en or es")
    email = email.strip()
    if email:
        try:  # where safety alerts and DSMB signals are sent
            validate_email(email)
        except ValidationError:
            raise InvalidInput("email", "must be an e-mail address (name@domain)") from None
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise InvalidInput("username", phrase(gettext_noop("%(username)r is taken"),
                                                username=username))
    try:
        validate_password(password)
    except ValidationError as error:
        raise InvalidInput("password", " ".join(error.messages)) from None
    user = User.objects.create_user(username=username, password=password, email=email)
    membership = Membership.objects.create(
        user=user, role=role, site=site_record, language=language
    )
    append_audit(
        actor=actor, action="create_user", model="user", object_id=username,
        changes={"role": {"old": None, "new": role}, "site": {"old": None, "new": site},
                 "email": {"old": None, "new": email},
                 "active": {"old": None, "new": True}},
    )
    return membership


def _role_site(role: str, site: str | None) -> Site | None:
    """The site a membership in ``role`` names: one for a site role, none for a trial-wide one."""
    try:
        scoped = get_policy().is_site_scoped(role)
    except UnknownRole as error:
        raise InvalidInput("role", str(error)) from None
    if scoped and not site:
        raise InvalidInput("site", phrase(gettext_noop(
            "the role %(role)s works at one site; give its site"), role=role))
    if not scoped and site:
        raise InvalidInput("site", phrase(gettext_noop(
            "the role %(role)s is trial-wide; give no site"), role=role))
    if not site:
        return None
    site_record = Site.objects.filter(code=site).first()
    if site_record is None:
        raise InvalidInput("site", f"no site {site!r}")
    return site_record


@action(None)
def do_add_membership(*, actor: str, username: str, role: str, site: str | None) -> Membership:
    """Give an existing user one more membership: ``role`` (at ``site``, for a site role).

    For the server's operator (``trialdesk users add-role``); an administrator uses
    :func:`do_add_membership_as`, the same rules.
    """
    return _add_membership(actor=actor, username=username, role=role, site=site)


@action("manage_users")
def do_add_membership_as(actor: Actor, *, username: str, role: str,
                         site: str | None) -> Membership:
    """Give a user one more membership as a trial administrator; not a role that sees arms
    (see :func:`do_create_user_as`: those are the server's operator's)."""
    try:
        unblinded = actor.policy.sees_any_arm(role)
    except UnknownRole as error:
        raise InvalidInput("role", str(error)) from None
    if unblinded:
        raise InvalidInput("role", phrase(gettext_noop(
            "the role %(role)s sees arms: it is given at the command line (trialdesk users "
            "add-role), not by the administrator"), role=role))
    return _add_membership(actor=actor.username, username=username, role=role, site=site)


def _add_membership(*, actor: str, username: str, role: str, site: str | None) -> Membership:
    """The body both writers share; runs inside their transaction.

    Refused: a role and site the user already holds (or held: a membership is deactivated, never
    replaced), and a role that sees arms beside a blinded one, counting deactivated memberships
    too, since what an unblinded role saw stays seen.
    """
    user = get_user_model().objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    site_record = _role_site(role, site)
    held = list(Membership.objects.filter(user=user).select_related("site"))
    same = next((m for m in held if m.role == role and m.site_id == (site_record and
                                                                      site_record.pk)), None)
    if same is not None:
        state = "holds" if same.active else "held (deactivated)"
        raise InvalidInput("role", f"{username} already {state} the role {role}"
                           f"{' at ' + site if site else ''}")
    try:
        check_role_combination(get_policy(), [m.role for m in held], role)
    except ConflictingRoles as error:
        raise InvalidInput("role", f"{username}: {error}") from None
    language = held[0].language if held else ""
    membership = Membership.objects.create(user=user, role=role, site=site_record,
                                           language=language)
    append_audit(actor=actor, action="add_membership", model="membership",
                 object_id=username,
                 changes={"role": {"old": None, "new": role}, "site": {"old": None, "new": site},
                          "membership": {"old": None, "new": membership.pk},
                          "active": {"old": None, "new": True}})
    return membership


def _held_membership(username: str, role: str, site: str | None) -> Membership:
    membership = (Membership.objects.select_for_update().select_related("user", "site")
                  .filter(user__username=username, role=role, site__code=site)
                  .first() if site else
                  Membership.objects.select_for_update().select_related("user")
                  .filter(user__username=username, role=role, site__isnull=True).first())
    if membership is None:
        raise NotFound(f"{username} holds no role {role}{' at ' + site if site else ''}")
    return membership


@action(None)
def do_deactivate_membership(*, actor: str, username: str, role: str, site: str | None,
                             reason: str) -> Membership:
    """Deactivate one membership of a user, with the reason (``trialdesk users
    deactivate-role``): it can no longer be chosen and its API tokens stop working; the user's
    other memberships stay. Nothing is deleted."""
    return _deactivate_membership(actor, _held_membership(username, role, site), reason)


@action("manage_users")
def do_deactivate_membership_as(actor: Actor, *, username: str, role: str, site: str | None,
                                reason: str) -> Membership:
    """Deactivate one membership as a trial administrator; not the one they act as."""
    membership = _held_membership(username, role, site)
    if membership.pk == actor.membership_id:
        raise Conflict("own_membership", gettext_noop(
            "an administrator cannot deactivate the role they are acting as"))
    return _deactivate_membership(actor.username, membership, reason)


def _deactivate_membership(actor: str, membership: Membership, reason: str) -> Membership:
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", gettext_noop("must say why, in at least 10 characters"))
    username = membership.user.get_username()
    if not membership.active:
        raise Conflict("already_inactive", f"{membership} is already inactive")
    membership.active = False
    membership.save(update_fields=["active"])
    append_audit(actor=actor, action="deactivate_membership", model="membership",
                 object_id=username,
                 changes={"role": {"old": membership.role, "new": membership.role},
                          "site": {"old": _site_code(membership), "new": _site_code(membership)},
                          "membership": {"old": membership.pk, "new": membership.pk},
                          "active": {"old": True, "new": False}},
                 reason=reason)
    return membership


def _site_code(membership: Membership | None) -> str | None:
    return membership.site.code if membership is not None and membership.site else None


@action(None)
def do_choose_membership(user: object, membership_id: object,
                         previous: Membership | None = None) -> Membership:
    """Record that ``user`` now acts as their active membership ``membership_id`` (after
    signing in, or switching from ``previous``); return it. The caller keeps it in the session.

    Audited: which role and site a person acted as, and when they switched, is part of who did
    what.
    """
    chosen = next((m for m in active_memberships(user) if str(m.pk) == str(membership_id)), None)
    if chosen is None:
        raise InvalidInput("membership", "must be one of your active roles")
    append_audit(actor=user.get_username(), action="choose_role", model="membership",
                 object_id=user.get_username(),
                 changes={"role": {"old": previous.role if previous else None,
                                   "new": chosen.role},
                          "site": {"old": _site_code(previous), "new": _site_code(chosen)},
                          "membership": {"old": previous.pk if previous else None,
                                         "new": chosen.pk}})
    return chosen


@action("manage_users")
def do_deactivate_user(actor: Actor, username: str, *, reason: str) -> object:
    """Deactivate a user account, with the reason; return the user.

    Nothing is deleted (the audit trail and the records keep naming the user); the account can no
    longer sign in, and its API tokens and sessions stop working, because every request checks
    ``is_active``. An administrator cannot deactivate their own account (someone must remain who
    can manage users).
    """
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", gettext_noop("must say why, in at least 10 characters"))
    user = get_user_model().objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    if user.pk == actor.user.pk:
        raise Conflict("own_account", gettext_noop(
            "an administrator cannot deactivate their own account"))
    if not user.is_active:
        raise Conflict("already_inactive", phrase(gettext_noop("%(username)s is already inactive"),
                                                    username=username))
    user.is_active = False
    user.save(update_fields=["is_active"])
    append_audit(actor=actor.username, action="deactivate_user", model="user",
                 object_id=username, changes={"active": {"old": True, "new": False}},
                 reason=reason)
    return user


@action(None)
def do_set_language(user: object, language: str) -> None:
    """Remember the user's language (en or es) for the next sign-in (kept on every one of their
    memberships: a person reads one language whichever role they act as)."""
    memberships = list(Membership.objects.select_for_update().filter(user=user).order_by("pk"))
    if not memberships or all(m.language == language for m in memberships):
        return
    append_audit(actor=user.get_username(), action="set_language", model="user",
                 object_id=user.get_username(),
                 changes={"language": {"old": memberships[0].language, "new": language}})
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(language=language)


@action(None)
def do_issue_api_token(user: object, *, label: str = "", role: str = "",
                       site: str | None = None, two_factor: bool = False
                       ) -> tuple[ApiToken, str]:
    """Issue an API token for ``user`` and audit it; return the token and its secret.

    The token acts as one membership: the user's only active one, or the one ``role`` (and
    ``site``) names when they hold several. A token is a credential: who got one, for which
    role, and when, belongs in the audit trail (never the secret). ``two_factor``: the exchange
    checked a code of the user's authenticator (recorded on the token and in the audit record).
    """
    memberships = active_memberships(user)
    if role:
        memberships = [m for m in memberships
                       if m.role == role and _site_code(m) == (site or None)]
        if not memberships:
            raise InvalidInput("role", f"must be one of your active roles "
                                       f"({role}{' at ' + site if site else ''} is not)")
    elif len(memberships) > 1:
        raise InvalidInput("role", "you hold several roles: give the role (and site) the "
                                   "token acts as")
    membership = memberships[0] if memberships else None
    token, secret = ApiToken.issue(user, label=label, membership=membership,
                                   two_factor=two_factor)
    append_audit(actor=user.get_username(), action="issue_token", model="api_token",
                 object_id=str(token.pk),
                 changes={"label": {"old": None, "new": label},
                          "role": {"old": None, "new": membership.role if membership else None},
                          "site": {"old": None, "new": _site_code(membership)},
                          "two_factor": {"old": None, "new": two_factor}})
    return token, secret
