"""``trialdesk worker``: run background tasks (simulations, exports, e-mail) from the trial's
database."""

from __future__ import annotations

import logging
import sys

import click

from trialdesk.web.datadir import DEFAULT_DATA_DIR


@click.command()
@click.option("--database", default=None, envvar="DATABASE_URL",
              help="Database URL, e.g. postgresql://user@host/db (default: SQLite in data dir).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
              show_default=True, help="Where the SQLite database, secret key and seed live.")
@click.option("--protocol", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Protocol TOML file (default: the bundled NCT04390152).")
@click.option("--interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between looks at an empty queue.")
@click.option("--batch", is_flag=True, help="Run the tasks that are ready now, then exit.")
def command(database: str | None, data_dir: str, protocol: str | None, interval: float,
            batch: bool) -> None:
    """Run background tasks (simulations, exports, e-mail) from the trial's database."""
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database, protocol=protocol)
    _refuse_unless_migrated()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("trialdesk.worker", "django_tasks_db", "django_tasks"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
    from trialdesk.web.worker.runner import run_worker

    run_worker(interval=interval, batch=batch)


def _refuse_unless_migrated() -> None:
    """A worker runs on the server's database as ``trialdesk serve`` migrated it; it migrates
    nothing itself (several workers on several machines would race to)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise click.ClickException(
            f"the database has {len(pending)} migrations not applied (first: "
            f"{pending[0][0].app_label}.{pending[0][0].name}): run `trialdesk serve --setup-only` "
            "with the same --data-dir/--database first")
