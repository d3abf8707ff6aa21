"""``trialdesk audit verify|head``: check the hash chain of the audit trail; print its head."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from trialdesk.web.datadir import DEFAULT_DATA_DIR

_db_options = [
    click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
                 show_default=True),
    click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL."),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
]


def _with_db(function):
    for option in reversed(_db_options):
        function = option(function)
    return function


@click.group()
def command() -> None:
    """Verify the tamper-evident audit trail."""


def _expect_head(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from trialdesk.web.core.auditchain import parse_head

    try:
        return parse_head(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@command.command("verify")
@_with_db
@click.option("--expect-head", default=None, callback=_expect_head, metavar="SEQ:HASH",
              help="A head printed earlier by `audit head`: fail if the chain no longer has it.")
def verify(data_dir: str, database: str | None, as_json: bool,
           expect_head: tuple[int, str] | None) -> None:
    """Check every record's hash and link, and that no anchored head was cut off (exit code 1).

    The anchor table keeps each head the server wrote, so removing the newest records is found
    unless the anchors were tampered too; a head published elsewhere (--expect-head) covers that.
    """
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.core.auditchain import HASHED_FIELDS, check_heads, verify_chain
    from trialdesk.web.core.models import AuditAnchor, AuditRecord

    chain: dict[int, str] = {}

    def remembered(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            chain[record["seq"]] = record["hash"]
            yield record

    check = verify_chain(remembered(
        AuditRecord.objects.order_by("seq").values(*HASHED_FIELDS, "hash").iterator()))
    if check.ok:
        anchors = AuditAnchor.objects.order_by("seq").values_list("seq", "hash").iterator()
        check = check_heads(chain, anchors, "the anchor table")
    if check.ok and expect_head is not None:
        check = check_heads(chain, [expect_head], "the expected head")
    if as_json:
        click.echo(json.dumps({"ok": check.ok, "records": check.count,
                               "first_bad_record": check.first_bad_seq, "problem": check.problem}))
    elif check.ok:
        click.echo(f"audit trail intact: {check.count} records")
    else:
        click.echo(f"audit trail BROKEN at record {check.first_bad_seq}: {check.problem}")
    if not check.ok:
        sys.exit(1)


@command.command("head")
@_with_db
def head(data_dir: str, database: str | None, as_json: bool) -> None:
    """Print the newest record's number and hash as SEQ:HASH, to publish or archive elsewhere.

    Later, `audit verify --expect-head SEQ:HASH` fails if that record is gone or changed.
    """
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.core.models import AuditRecord

    last = AuditRecord.objects.order_by("-seq").values("seq", "hash", "at").first()
    if last is None:
        raise click.ClickException("the audit trail is empty")
    text = f"{last['seq']}:{last['hash']}"
    if as_json:
        click.echo(json.dumps({"seq": last["seq"], "hash": last["hash"],
                               "at": last["at"].isoformat(), "head": text}))
    else:
        click.echo(text)
