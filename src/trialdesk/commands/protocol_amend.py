"""``trialdesk protocol amend``: the classified diff of an amendment against the data directory's
latest protocol version, and (``--apply``) the amendment and its site approvals recorded through
the same actions as the API's (audited, in one transaction each)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


def _setup(data_dir: str | None, database: str | None) -> None:
    from trialdesk.web.bootstrap import migrate, setup_django
    from trialdesk.web.datadir import DEFAULT_DATA_DIR

    setup_django(data_dir=data_dir or DEFAULT_DATA_DIR, database=database)
    migrate()
    from trialdesk.web.trials.actions import do_load_sites

    do_load_sites(actor="cli")


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=option) from None


def _refused(field: str, rule: str) -> int:
    click.echo(f"refused: {field}: {rule}", err=True)
    return 1


def run_amend(new: Path, *, effective_date: str | None, reason: str, apply: bool,
              approvals: list[tuple[str, str]], username: str, language: str,
              data_dir: str | None, database: str | None) -> int:
    """Show (and with ``apply`` record) an amendment; return the exit status."""
    _setup(data_dir, database)
    from django.contrib.auth import get_user_model

    from trialdesk.protocol.amendment import (
        AmendmentRefused,
        refuse_randomization_change,
        render_diff,
    )
    from trialdesk.web.amendments import access, actions
    from trialdesk.web.amendments.models import ProtocolVersion
    from trialdesk.web.amendments.versions import text_hash
    from trialdesk.web.core import clock
    from trialdesk.web.core.actor import actor_able_to
    from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound

    text = new.read_text(encoding="utf-8")
    try:
        base, diff = actions.review_amendment(text)
    except InvalidInput as error:
        return _refused(error.field, error.rule)
    recorded = ProtocolVersion.objects.filter(sha256=text_hash(text)).first()
    if recorded is not None:
        click.echo(f"{new} is protocol version {recorded.number}, already recorded")
    else:
        click.echo(f"{new} against protocol version {base}:")
        click.echo(render_diff(diff, language))
        try:
            refuse_randomization_change(
                diff, randomization_started=actions.randomization_started(),
                allocation_loaded=actions.allocation_loaded())
        except AmendmentRefused as refused:
            return _refused(refused.field, f"{refused.rule}: {refused.message}")
    if not apply:
        click.echo("not recorded: add --apply (with --reason) to record the amendment")
        return 0
    user = get_user_model().objects.filter(username=username).first()
    try:
        actor = actor_able_to(user, "manage_protocol")  # a person with several roles: that one
        if recorded is None:
            day = _date(effective_date, "--effective-date") if effective_date else clock.today()
            recorded = actions.do_amend_protocol(actor, text, effective_date=day, reason=reason)
            click.echo(f"recorded protocol version {recorded.number}, effective "
                       f"{recorded.effective_date.isoformat()}")
        for site, day in approvals:
            actions.do_record_site_approval(actor, recorded, access.site_by_code(site),
                                            _date(day, "--approve"))
            click.echo(f"recorded the approval of version {recorded.number} at {site} on {day}")
    except InvalidInput as error:
        return _refused(error.field, error.rule)
    except (Conflict, Forbidden, NotFound) as error:
        return _refused("--user" if isinstance(error, Forbidden) else "--approve", str(error))
    return 0
