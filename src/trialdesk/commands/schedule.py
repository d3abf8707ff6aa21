"""``trialdesk schedule``: backups and data cuts the task workers run at set times.

    trialdesk schedule backup --every 24h --out-dir DIR --keep N --key-file K
    trialdesk schedule data-cut --every 7d --format sdtm --format adam --as USER [--role R]
    trialdesk schedule list
    trialdesk schedule stop ID

Schedules are stored in the trial's database (audited, as "cli"); whichever worker polls first
queues each due run once (``trialdesk serve`` starts one; ``trialdesk worker`` runs more). The
backup's key stays in its file, read at each run: the database it protects never holds it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.backup import key_source, with_key_options
from trialdesk.web.datadir import DEFAULT_DATA_DIR

database_options = [
    click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
                 show_default=True, help="The server's data directory."),
    click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL."),
]


def with_database_options(function: Any) -> Any:
    for option in reversed(database_options):
        function = option(function)
    return function


def _interval(value: str) -> dt.timedelta:
    from trialdesk.web.schedules.timing import parse_interval

    try:
        return parse_interval(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--every") from None


def _first(value: str | None, every: dt.timedelta) -> dt.datetime:
    """``--first`` (ISO 8601; without an offset, UTC), else one interval from now."""
    if value is None:
        return dt.datetime.now(dt.UTC) + every
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO 8601 time, e.g. 2027-01-01T02:15Z",
                                 param_hint="--first") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _setup(data_dir: str, database: str | None) -> None:
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)


@click.group()
def command() -> None:
    """Schedule backups and data cuts, run by the task workers at set times."""


@command.command("backup")
@click.option("--every", required=True, help="How often: 30m, 24h, 7d, 2w.")
@click.option("--first", default=None, help="The first due time (ISO 8601, UTC unless an "
                                            "offset is given; default: one interval from now).")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Write trialdesk-YYYYMMDDTHHMMSSZ.tdbackup (the due time, UTC) here.")
@click.option("--keep", required=True, type=click.IntRange(1, 100000),
              help="Keep the newest N scheduled backups there, delete older ones.")
@with_key_options
@with_database_options
def backup(every: str, first: str | None, out_dir: Path, keep: int,
           passphrase_file: Path | None, key_file: Path | None, data_dir: str,
           database: str | None) -> None:
    """Back up every interval into a folder, keeping the newest N."""
    interval = _interval(every)
    key_source(passphrase_file, key_file)  # refused now, not at the first run
    _setup(data_dir, database)
    from trialdesk.web.schedules.scheduler import do_create_schedule

    if out_dir.resolve().is_relative_to(Path(data_dir).resolve()):
        # the next backups would hold the older ones: keep them off the data directory
        raise click.BadParameter("a folder outside the data directory", param_hint="--out-dir")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    options: dict[str, Any] = {"out_dir": str(out_dir.resolve()), "keep": keep}
    if key_file is not None:
        options["key_file"] = str(key_file.resolve())
    else:
        options["passphrase_file"] = str(passphrase_file.resolve())
    schedule = do_create_schedule(kind="backup", every=interval,
                                  first=_first(first, interval), settings=options)
    click.echo(f"schedule {schedule.pk}: a backup every {every} into {options['out_dir']}, "
               f"keeping {keep}; first due {schedule.next_due.isoformat()}")


@command.command("data-cut")
@click.option("--every", required=True, help="How often: 24h, 7d, 2w.")
@click.option("--first", default=None, help="The first due time (ISO 8601, UTC unless an "
                                            "offset is given; default: one interval from now).")
@click.option("--format", "formats", multiple=True, required=True,
              help="An export format (repeat for several): sdtm, adam, odm, csv, fhir, ...")
@click.option("--as", "username", required=True,
              help="The user whose exports these are: blinded, listed and audited as theirs.")
@click.option("--role", default=None, help="Their role to export as (if they hold several).")
@click.option("--site", default=None, help="The site of that role (if it is a site role).")
@with_database_options
def data_cut(every: str, first: str | None, formats: tuple[str, ...], username: str,
             role: str | None, site: str | None, data_dir: str, database: str | None) -> None:
    """Export a data cut every interval, as USER's role exports it."""
    interval = _interval(every)
    _setup(data_dir, database)
    from trialdesk.web.core.models import Membership
    from trialdesk.web.exports.formats import EXPORT_FORMATS
    from trialdesk.web.schedules.scheduler import do_create_schedule

    unknown = [name for name in formats if name not in EXPORT_FORMATS]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: one of {', '.join(EXPORT_FORMATS)}",
                                 param_hint="--format")
    memberships = Membership.objects.select_related("user", "site").filter(
        user__username=username, active=True)
    if role:
        memberships = memberships.filter(role=role)
    if site:
        memberships = memberships.filter(site__code=site.upper())
    found = list(memberships.order_by("pk"))
    if len(found) != 1:
        held = ", ".join(f"{m.role}@{m.site.code if m.site else '-'}" for m in
                         Membership.objects.select_related("site").filter(
                             user__username=username, active=True)) or "none"
        raise click.ClickException(f"{username} must hold exactly one active role matching "
                                   f"--role/--site (holds: {held})")
    schedule = do_create_schedule(kind="data_cut", every=interval, first=_first(first, interval),
                                  settings={"formats": list(dict.fromkeys(formats))},
                                  membership=found[0])
    click.echo(f"schedule {schedule.pk}: a data cut ({', '.join(formats)}) every {every} as "
               f"{username} ({found[0].role}); first due {schedule.next_due.isoformat()}")


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the schedules as JSON.")
@with_database_options
def list_schedules(as_json: bool, data_dir: str, database: str | None) -> None:
    """List the schedules and each one's last run."""
    _setup(data_dir, database)
    from trialdesk.web.schedules.models import Schedule
    from trialdesk.web.schedules.timing import describe_interval

    rows = []
    for schedule in Schedule.objects.order_by("pk"):
        last = schedule.runs.order_by("-due_at").first()
        rows.append({"id": schedule.pk, "kind": schedule.kind, "active": schedule.active,
                     "every": describe_interval(schedule.every_seconds),
                     "next_due": schedule.next_due.isoformat(), "settings": schedule.settings,
                     "last_run": None if last is None else {
                         "due_at": last.due_at.isoformat(), "state": last.state,
                         "attempts": last.attempts, "error": last.last_error}})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        last = row["last_run"]
        click.echo(f"{row['id']}: {row['kind']} every {row['every']}, "
                   f"{'next due ' + row['next_due'] if row['active'] else 'stopped'}; last run: "
                   f"{'none' if last is None else last['state'] + ' (' + last['due_at'] + ')'}")


@command.command("stop")
@click.argument("schedule_id", type=int)
@with_database_options
def stop(schedule_id: int, data_dir: str, database: str | None) -> None:
    """Stop a schedule (kept with its runs for the record)."""
    _setup(data_dir, database)
    from trialdesk.web.core.errors import NotFound
    from trialdesk.web.schedules.scheduler import do_stop_schedule

    try:
        do_stop_schedule(schedule_id=schedule_id)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"schedule {schedule_id} stopped")
