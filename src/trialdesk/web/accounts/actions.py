"""The only writers of accounts: users with their role (and site), language, API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from trialdesk.blinding import UnknownRole
from trialdesk.web.accounts.models import ApiToken
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_policy


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
        raise InvalidInput("role", f"the role {role} sees arms: its accounts are created at the "
                           "command line (trialdesk users create), not by the administrator")
    return _create_user(actor=actor.username, username=username, role=role, site=site,
                        password=password, language=language, email=email)


def _create_user(
    *, actor: str, username: str, role: str, site: str | None, password: str, language: str,
    email: str = "",
) -> Membership:
    """The body both writers share; runs inside their transaction."""
    policy = get_policy()
    try:
        scoped = policy.is_site_scoped(role)
    except UnknownRole as error:
        raise InvalidInput("role", str(error)) from None
    if scoped and not site:
        raise InvalidInput("site", f"the role {role} works at one site; give its site")
    if not scoped and site:
        raise InvalidInput("site", f"the role {role} is trial-wide; give no site")
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
        raise InvalidInput("username", f"{username!r} is taken")
    try:
        validate_password(password)
    except ValidationError as error:
        raise InvalidInput("password", " ".join(error.messages)) from None
    site_record = None
    if site:
        site_record = Site.objects.filter(code=site).first()
        if site_record is None:
            raise InvalidInput("site", f"no site {site!r}")
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
        raise InvalidInput("reason", "must say why, in at least 10 characters")
    user = get_user_model().objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    if user.pk == actor.user.pk:
        raise Conflict("own_account", "an administrator cannot deactivate their own account")
    if not user.is_active:
        raise Conflict("already_inactive", f"{username} is already inactive")
    user.is_active = False
    user.save(update_fields=["is_active"])
    append_audit(actor=actor.username, action="deactivate_user", model="user",
                 object_id=username, changes={"active": {"old": True, "new": False}},
                 reason=reason)
    return user


@action(None)
def do_set_language(user: object, language: str) -> None:
    """Remember the user's language (en or es) for the next sign-in."""
    membership = Membership.objects.select_for_update().filter(user=user).first()
    if membership is None or membership.language == language:
        return
    append_audit(actor=user.get_username(), action="set_language", model="user",
                 object_id=user.get_username(),
                 changes={"language": {"old": membership.language, "new": language}})
    membership.language = language
    membership.save(update_fields=["language"])


@action(None)
def do_issue_api_token(user: object, *, label: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for ``user`` and audit it; return the token and its secret.

    A token is a credential: who got one, and when, belongs in the audit trail (never the secret).
    """
    token, secret = ApiToken.issue(user, label=label)
    append_audit(actor=user.get_username(), action="issue_token", model="api_token",
                 object_id=str(token.pk), changes={"label": {"old": None, "new": label}})
    return token, secret
