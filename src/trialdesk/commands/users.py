"""``trialdesk users create|add-role|deactivate-role|reset-two-factor|list|redcap-token``:
accounts of the trial server and their memberships (roles at sites; one person may hold
several), and their authenticators for two-factor sign-in."""

from __future__ import annotations

import json
import secrets

import click

from trialdesk.commands.language import _, current_language
from trialdesk.web.datadir import DEFAULT_DATA_DIR

_db_options = [
    click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
                 show_default=True),
    click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL."),
]


def _with_db(function):
    for option in reversed(_db_options):
        function = option(function)
    return function


def _setup(data_dir: str, database: str | None) -> None:
    from trialdesk.web.bootstrap import migrate, setup_django

    setup_django(data_dir=data_dir, database=database)
    migrate()
    from trialdesk.web.trials.actions import do_load_sites

    do_load_sites(actor="cli")


def refusal(error: Exception) -> str:
    """A refusal of the server's actions in the output's language, from the server's own
    catalogues (its rule or message is English text or a marked phrase; unmarked stays English)."""
    from django.utils import translation

    from trialdesk.web.core.refusals import in_reader_language

    text = getattr(error, "rule", None) or getattr(error, "message", None)
    if not text:
        return str(error)
    with translation.override(current_language()):
        return str(in_reader_language(text))


def _membership(role: str, site: str | None) -> str:
    return _("%(role)s at %(site)s") % {"role": role, "site": site} if site else role


@click.group()
def command() -> None:
    """Create and list users of the trial server."""


@command.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, help="A role code of the protocol, e.g. investigator.")
@click.option("--site", default=None, help="Site code (for site roles), e.g. CO-01.")
@click.option("--password", default=None,
              help="Password (default: a random one, printed once). At least 12 characters.")
@click.option("--language", type=click.Choice(["en", "es"]), default=None,
              help="Interface language (default: the browser's).")
@click.option("--email", default="",
              help="Where safety alerts and DSMB signals reach this user.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with_db
def create(username: str, role: str, site: str | None, password: str | None, language: str | None,
           email: str, as_json: bool, data_dir: str, database: str | None) -> None:
    """Create a user with a role (and a site, for site roles)."""
    _setup(data_dir, database)
    from trialdesk.web.accounts.actions import do_create_user
    from trialdesk.web.core.errors import InvalidInput

    password = password or secrets.token_urlsafe(12)
    try:
        do_create_user(actor="cli", username=username, role=role, site=site, password=password,
                       language=language or "", email=email)
    except InvalidInput as error:
        raise click.BadParameter(refusal(error), param_hint=f"--{error.field}") from None
    result = {"username": username, "role": role, "site": site, "password": password}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(_("created %(username)s (%(membership)s); password: %(password)s")
                   % {"username": username, "membership": _membership(role, site),
                      "password": password})


@command.command("add-role")
@click.option("--username", required=True, help="An existing user.")
@click.option("--role", required=True, help="A role code of the protocol, e.g. coordinator.")
@click.option("--site", default=None, help="Site code (for site roles), e.g. CO-02.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with_db
def add_role(username: str, role: str, site: str | None, as_json: bool, data_dir: str,
             database: str | None) -> None:
    """Give an existing user one more role (at a site, for site roles). A role that sees arms
    and a blinded role are never held by one person."""
    _setup(data_dir, database)
    from trialdesk.web.accounts.actions import do_add_membership
    from trialdesk.web.core.errors import InvalidInput, NotFound

    try:
        do_add_membership(actor="cli", username=username, role=role, site=site)
    except InvalidInput as error:
        raise click.BadParameter(refusal(error), param_hint=f"--{error.field}") from None
    except NotFound as error:
        raise click.BadParameter(refusal(error), param_hint="--username") from None
    if as_json:
        click.echo(json.dumps({"username": username, "role": role, "site": site}))
    else:
        click.echo(_("%(username)s now also holds %(membership)s")
                   % {"username": username, "membership": _membership(role, site)})


@command.command("deactivate-role")
@click.option("--username", required=True)
@click.option("--role", required=True)
@click.option("--site", default=None, help="Site code (for site roles).")
@click.option("--reason", required=True, help="Why (at least 10 characters; audited).")
@_with_db
def deactivate_role(username: str, role: str, site: str | None, reason: str, data_dir: str,
                    database: str | None) -> None:
    """Deactivate one of a user's roles (never deleted): it can no longer be chosen and its API
    tokens stop working; the user's other roles stay."""
    _setup(data_dir, database)
    from trialdesk.web.accounts.actions import do_deactivate_membership
    from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound

    try:
        do_deactivate_membership(actor="cli", username=username, role=role, site=site,
                                 reason=reason)
    except InvalidInput as error:
        raise click.BadParameter(refusal(error), param_hint=f"--{error.field}") from None
    except (NotFound, Conflict) as error:
        raise click.ClickException(refusal(error)) from None
    click.echo(_("deactivated %(membership)s of %(username)s")
               % {"username": username, "membership": _membership(role, site)})


@command.command("reset-two-factor")
@click.argument("username")
@click.option("--reason", required=True, help="Why (at least 10 characters; audited).")
@_with_db
def reset_two_factor(username: str, reason: str, data_dir: str, database: str | None) -> None:
    """Remove USERNAME's authenticator (a lost or replaced phone); a role that requires
    two-factor sign-in sets up a new one at its next sign-in."""
    _setup(data_dir, database)
    from trialdesk.web.accounts.two_factor import do_reset_two_factor
    from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound

    try:
        do_reset_two_factor(actor="cli", username=username, reason=reason)
    except InvalidInput as error:
        raise click.BadParameter(refusal(error), param_hint=f"--{error.field}") from None
    except (NotFound, Conflict) as error:
        raise click.ClickException(refusal(error)) from None
    click.echo(_("removed the authenticator of %(username)s: its next sign-in sets up a new "
                 "one where its role requires one") % {"username": username})


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with_db
def list_users(as_json: bool, data_dir: str, database: str | None) -> None:
    """List users with their roles and sites, one line per membership."""
    _setup(data_dir, database)
    from trialdesk.web.core.models import Membership

    rows = [
        {"username": m.user.username, "role": m.role, "site": m.site.code if m.site else None,
         "active": m.user.is_active and m.active}
        for m in Membership.objects.select_related("user", "site")
        .order_by("user__username", "pk")
    ]
    if as_json:
        click.echo(json.dumps({"users": rows}))
        return
    for row in rows:
        state = "" if row["active"] else "  " + _("(inactive)")
        click.echo(f"{row['username']:<28} {row['role']:<18} {row['site'] or '-'}{state}")


@command.command("redcap-token")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Revoke the user's REDCap token instead.")
@_with_db
def redcap_token(username: str, revoke: bool, data_dir: str, database: str | None) -> None:
    """Create (or replace) USERNAME's REDCap API token and print it once; --revoke ends it."""
    _setup(data_dir, database)
    from trialdesk.web.core.errors import Conflict, NotFound
    from trialdesk.web.redcap.actions import do_issue_redcap_token, do_revoke_redcap_token

    try:
        if revoke:
            do_revoke_redcap_token(actor="cli", username=username)
            click.echo(_("revoked the REDCap token of %(username)s") % {"username": username})
            return
        click.echo(do_issue_redcap_token(actor="cli", username=username))
    except (NotFound, Conflict) as error:
        raise click.ClickException(refusal(error)) from None
