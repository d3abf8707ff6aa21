"""``trialdesk serve``: migrate, optionally build the demo trial, then serve with gunicorn."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import click

from trialdesk.web.datadir import DEFAULT_DATA_DIR


@click.command()
@click.option("--protocol", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Protocol TOML file (default: the bundled NCT04390152).")
@click.option("--database", default=None, envvar="DATABASE_URL",
              help="Database URL, e.g. postgresql://user@host/db (default: SQLite in data dir).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
              show_default=True, help="Where the SQLite database, secret key and seed live.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
# One thread per worker: threads of one process take turns on its GIL, and the one holding
# SQLite's writer turn waits behind the others (bench/randomize_load.py on 2 idle cores, 32
# clients: 4 workers x 1 thread 484 randomizations/s, p99 114 ms; 4 x 4 277/s, p99 177 ms).
# Long work (simulations, e-mail) runs as tasks in task workers of its own, not in these.
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--task-workers", type=click.IntRange(0, 16), default=1, show_default=True,
              help="Task workers started beside the server and stopped with it (0: none; run "
                   "`trialdesk worker` elsewhere).")
@click.option("--demo", is_flag=True,
              help="Create sites, demo users, the allocation list and participants.")
@click.option("--demo-participants", type=click.IntRange(0, 10000), default=24, show_default=True)
@click.option("--demo-sites", type=click.Choice(["active", "planned"]), default="active",
              show_default=True,
              help="The demo's sites: opened by its administrator (only an active site screens, "
                   "consents and randomizes), or left planned to show their activation.")
@click.option("--slots-per-stratum", type=click.IntRange(1, 100000), default=None,
              help="Length of each stratum's list (default: the protocol's target enrollment).")
@click.option("--setup-only", is_flag=True, help="Migrate (and build the demo), then exit.")
def command(
    protocol: str | None, database: str | None, data_dir: str, host: str, port: int,
    workers: int, threads: int, task_workers: int, demo: bool, demo_participants: int,
    demo_sites: str, slots_per_stratum: int | None, setup_only: bool,
) -> None:
    """Run the trial server (gunicorn) on HOST:PORT after applying migrations."""
    from trialdesk.web.bootstrap import migrate, setup_django

    folder = Path(data_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    setup_django(data_dir=folder, database=database, protocol=protocol)
    migrate()
    from django.db import connections

    from trialdesk.web.trials.actions import do_load_sites

    do_load_sites(actor="serve")
    if demo:
        _build_demo(folder, demo_participants, slots_per_stratum, demo_sites == "active")
    connections.close_all()
    if setup_only:
        return
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    click.echo(f"serving http://{host}:{port}/ (data: {folder})", err=True)
    sys.stderr.flush()
    os.environ["TRIALDESK_TASK_WORKERS"] = str(task_workers)  # read by the gunicorn hooks
    # exec: the server is this process, so a supervisor's signal reaches gunicorn directly
    # (a fixed program, arguments from validated options)
    os.execv(gunicorn, gunicorn_arguments(gunicorn, host, port, workers, threads))  # noqa: S606


# Seconds an idle kept-alive connection stays open. gunicorn's default (2 s) is shorter than the
# idle time of common client pools and proxies (a load balancer's 60 s, pools reusing a connection
# seconds later), so a pooled connection was closed just as the client sent its next request on
# it: a reset. 75 s outlasts them (nginx's own default); a gthread worker waits on idle
# connections in its poller, not with a thread.
KEEP_ALIVE_SECONDS = 75


def gunicorn_arguments(gunicorn: str, host: str, port: int, workers: int,
                       threads: int) -> list[str]:
    """The command line that runs the trial server under gunicorn."""
    return [
        gunicorn, "trialdesk.web.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--access-logfile", "-", "--graceful-timeout", "10", "--timeout", "60",
        "--keep-alive", str(KEEP_ALIVE_SECONDS),
        # its hooks start the task workers with the master and stop them when it exits
        "--config", "python:trialdesk.web.worker.serve_hooks",
        # the control socket lives at one path per user; several servers would fight over it
        "--no-control-socket",
    ]


def _build_demo(folder: Path, participants: int, slots_per_stratum: int | None,
                open_sites: bool) -> None:
    from trialdesk.web.trials.demo import (
        activate_demo_sites,
        commit_allocation_list,
        create_demo_users,
        enroll_demo_participants,
    )
    from trialdesk.web.trials.models import Participant

    users = create_demo_users(folder)
    if open_sites:
        activate_demo_sites()
    commitment = commit_allocation_list(folder, slots_per_stratum)
    click.echo(f"allocation list commitment (SHA-256): {commitment}")
    click.echo(f"demo users (also in {folder / 'demo-users.json'}, mode 0600):")
    for user in users:
        click.echo(f"  {user['username']:<28} {user['password']:<20} {user['role']:<18} "
                   f"{user['site'] or '-'}")
    if participants and not Participant.objects.exists():
        counts = enroll_demo_participants(participants)
        click.echo("demo participants: " + json.dumps(counts))
