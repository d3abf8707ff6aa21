"""``trialdesk audit verify``: re-compute the audit trail's hash chain."""

from __future__ import annotations

import json
import sys

import click

from trialdesk.web.datadir import DEFAULT_DATA_DIR


@click.group()
def command() -> None:
    """Verify the tamper-evident audit trail."""


@command.command("verify")
@click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
              show_default=True)
@click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify(data_dir: str, database: str | None, as_json: bool) -> None:
    """Check every record's hash and link; name the first bad record (exit code 1)."""
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.trials.auditchain import HASHED_FIELDS, verify_chain
    from trialdesk.web.trials.models import AuditRecord

    records = AuditRecord.objects.order_by("seq").values(*HASHED_FIELDS, "hash").iterator()
    check = verify_chain(records)
    if as_json:
        click.echo(json.dumps({"ok": check.ok, "records": check.count,
                               "first_bad_record": check.first_bad_seq, "problem": check.problem}))
    elif check.ok:
        click.echo(f"audit trail intact: {check.count} records")
    else:
        click.echo(f"audit trail BROKEN at record {check.first_bad_seq}: {check.problem}")
    if not check.ok:
        sys.exit(1)
