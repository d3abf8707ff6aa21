"""``trialdesk sites list|activate|suspend|close``: the trial's sites and their recruiting status.

A site is planned until an administrator activates it; only then does the public registry page list
it, as recruiting. Each change is the audited action the API's ``POST /api/v1/sites/{code}/status``
runs, under the administrator named by ``--as``.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from trialdesk.commands.language import N_, _
from trialdesk.commands.users import _setup, _with_db, refusal

# a site's recruiting status (core.models.Site.STATUSES), in words
STATUSES = {"planned": N_("planned"), "active": N_("active"), "suspended": N_("suspended"),
            "closed": N_("closed")}


@click.group()
def command() -> None:
    """The trial's sites and their recruiting status (planned, active, suspended, closed)."""


def _change(code: str, status: str, username: str, reason: str, on: dt.date | None) -> dict:
    from django.contrib.auth import get_user_model

    from trialdesk.web.core.actor import actor_able_to
    from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
    from trialdesk.web.trials.actions.sites import do_set_site_status

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.BadParameter(_("no active user %(username)s") % {"username": username},
                                 param_hint="--as")
    try:
        actor = actor_able_to(user, "manage_sites")  # a person with several roles: that one
        site = do_set_site_status(actor, code, status, reason=reason, on=on)
    except InvalidInput as error:
        hint = {"activated_on": "--on"}.get(error.field, f"--{error.field}")
        raise click.BadParameter(refusal(error), param_hint=hint) from None
    except (Conflict, Forbidden, NotFound) as error:
        raise click.ClickException(refusal(error)) from None
    return {"code": site.code, "status": site.status,
            "activated_on": site.activated_on.isoformat() if site.activated_on else None}


def _status(status: str) -> str:
    return _(STATUSES[status]) if status in STATUSES else status


def _status_command(name: str, status: str, summary: str):
    @command.command(name, help=summary)
    @click.argument("code")
    @click.option("--as", "username", required=True,
                  help="The administrator (manage_sites) making the change.")
    @click.option("--reason", required=True, help="Why (kept in the audit trail).")
    @click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Activation day, YYYY-MM-DD (default today).")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    @_with_db
    def change(code: str, username: str, reason: str, on: dt.datetime | None, as_json: bool,
               data_dir: str, database: str | None) -> None:
        _setup(data_dir, database)
        result = _change(code, status, username, reason, on.date() if on else None)
        click.echo(json.dumps(result) if as_json
                   else f"{result['code']}: {_status(result['status'])}")

    return change


activate = _status_command("activate", "active", "Activate (or reopen) a site: it is published "
                           "on the registry page as recruiting.")
suspend = _status_command("suspend", "suspended", "Suspend a site's recruitment for a while "
                          "(activate lifts it); its patients are still followed.")
close = _status_command("close", "closed", "Close a site to recruitment.")


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with_db
def list_sites(as_json: bool, data_dir: str, database: str | None) -> None:
    """List the stored sites with their status and activation day."""
    _setup(data_dir, database)
    from trialdesk.web.core.models import Site

    sites = [{"code": s.code, "name": s.name, "status": s.status,
              "activated_on": s.activated_on.isoformat() if s.activated_on else None}
             for s in Site.objects.order_by("code")]
    if as_json:
        click.echo(json.dumps({"sites": sites}, ensure_ascii=False))
        return
    width = max(len(_(word)) for word in STATUSES.values())
    for site in sites:
        click.echo(f"{site['code']}  {_status(site['status']):<{width}} "
                   f"{site['activated_on'] or '-':<10}  {site['name']}")
