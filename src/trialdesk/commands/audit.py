"""``trialdesk audit verify|head``: check the hash chain of the audit trail; print its head.

``audit head --publish DEST`` keeps the head where a rollback of the database cannot reach it
(a JSON-lines file on another disk, an e-mail); ``audit verify`` checks every head published to
a file (``--published FILE`` and the files of ``TRIALDESK_AUDIT_PUBLISH``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import _
from trialdesk.web.datadir import DEFAULT_DATA_DIR

PUBLISH_VARIABLE = "TRIALDESK_AUDIT_PUBLISH"
MAILTO = "mailto:"

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


def _check_destination(ctx: click.Context, param: click.Parameter,
                       values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if value.startswith(MAILTO) and "@" not in value[len(MAILTO):]:
            raise click.BadParameter(_("%(value)r: write mailto:name@example.org")
                                     % {"value": value})
        if not value.strip():
            raise click.BadParameter(_("an empty destination"))
    return values


def configured_destinations() -> list[str]:
    """The destinations of ``TRIALDESK_AUDIT_PUBLISH`` (a setting, else the environment
    variable): comma-separated file paths and ``mailto:`` addresses."""
    from django.conf import settings

    value = getattr(settings, PUBLISH_VARIABLE, None)
    if value is None:
        value = os.environ.get(PUBLISH_VARIABLE, "")
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def _trial_id() -> str:
    from trialdesk.web.core.protocol import get_protocol

    return get_protocol().registry.nct_id


def _read_published(paths: list[Path], trial: str) -> list[Any]:
    from trialdesk.web.core.auditchain import read_published

    heads = []
    for path in paths:
        try:
            with path.open(encoding="utf-8") as lines:
                heads += read_published(lines, str(path), trial)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise click.ClickException(_("cannot read the published heads: %(error)s")
                                       % {"error": error}) from None
    return heads


@command.command("verify")
@_with_db
@click.option("--expect-head", default=None, callback=_expect_head, metavar="SEQ:HASH",
              help="A head printed earlier by `audit head`: fail if the chain no longer has it.")
@click.option("--published", "published_files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file `audit head --publish` wrote: fail if the database is behind one of "
                   f"its heads or forked from it (repeatable; the files of {PUBLISH_VARIABLE} "
                   "are read too).")
def verify(data_dir: str, database: str | None, as_json: bool,
           expect_head: tuple[int, str] | None, published_files: tuple[Path, ...]) -> None:
    """Check every record's hash and link, that no anchored head was cut off, and every
    published head (exit code 1).

    The anchor table keeps each head the server wrote, so removing the newest records is found
    unless the anchors were cut too (a restored older copy of the database); a head published
    elsewhere (--published, TRIALDESK_AUDIT_PUBLISH, --expect-head) covers that.
    """
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.core.auditchain import (
        HASHED_FIELDS,
        check_heads,
        check_published,
        verify_chain,
    )
    from trialdesk.web.core.models import AuditAnchor, AuditRecord

    files = list(published_files)
    missing: list[str] = []
    configured = [item for item in configured_destinations() if not item.startswith(MAILTO)]
    for item in configured:
        path = Path(item)
        if path.is_file():
            files.append(path)
        else:
            missing.append(item)  # nothing published there yet (or it is not mounted)
    published = _read_published(files, _trial_id()) if files else []

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
    if check.ok and published:
        check = check_published(chain, max(chain, default=0), published)
    distinct = {(head.seq, head.hash) for head in published}
    sources = bool(published_files or configured)
    if as_json:
        body: dict[str, Any] = {"ok": check.ok, "records": check.count,
                                "first_bad_record": check.first_bad_seq, "problem": check.problem}
        if sources:
            body |= {"published_heads": len(distinct), "published_missing": missing}
        click.echo(json.dumps(body))
    else:
        for item in missing:
            click.echo(_("%(variable)s: %(item)s does not exist (nothing published there yet?)")
                       % {"variable": PUBLISH_VARIABLE, "item": item}, err=True)
        if check.ok:
            matched = ""
            if sources:
                newest = max((seq for seq, _hash in distinct), default=None)
                # two msgids, not ngettext: English and Spanish both have one plural form
                matched = ((_("; matches 1 published head") if len(distinct) == 1 else
                            _("; matches %(n)d published heads") % {"n": len(distinct)})
                           + (_(" (newest: record %(seq)s)") % {"seq": newest}
                              if newest is not None else ""))
            click.echo(_("audit trail intact: %(count)d records") % {"count": check.count}
                       + matched)
        else:
            click.echo(_("audit trail BROKEN at record %(seq)s: %(problem)s")
                       % {"seq": check.first_bad_seq, "problem": check.problem})
    if not check.ok:
        sys.exit(1)


@command.command("head")
@_with_db
@click.option("--publish", "destinations", multiple=True, metavar="DEST",
              callback=_check_destination,
              help="Also append the head to DEST: a file (JSON lines, created with mode 0600), "
                   "or mailto:ADDRESS (sent with the server's mail settings). Repeatable.")
@click.option("--publish-configured", is_flag=True,
              help=f"Also publish to every destination of {PUBLISH_VARIABLE}.")
def head(data_dir: str, database: str | None, as_json: bool, destinations: tuple[str, ...],
         publish_configured: bool) -> None:
    """Print the newest record's number and hash as SEQ:HASH, to publish or archive elsewhere.

    Later, `audit verify --expect-head SEQ:HASH` (or `--published FILE`) fails if that record
    is gone or changed. Before appending to a file that already holds heads, the database is
    checked against them: a database behind or forked from them is not published (exit code 1).
    """
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.core.audit import current_head

    last = current_head()
    if last is None:
        raise click.ClickException(_("the audit trail is empty"))
    targets = list(dict.fromkeys(
        [*destinations, *(configured_destinations() if publish_configured else [])]))
    if publish_configured and not targets:
        raise click.ClickException(_("%(variable)s names no destination")
                                   % {"variable": PUBLISH_VARIABLE})
    if targets:
        _publish(last, targets)
    text = f"{last['seq']}:{last['hash']}"
    if as_json:
        click.echo(json.dumps({"seq": last["seq"], "hash": last["hash"],
                               "at": last["at"].isoformat(), "head": text,
                               **({"published": targets} if targets else {})}))
    else:
        click.echo(text)
        for target in targets:
            click.echo(_("published to %(target)s") % {"target": target})


def _publish(last: dict[str, Any], targets: list[str]) -> None:
    """Append the head to every file, then mail it; check the files' earlier heads first."""
    from django.utils import timezone

    from trialdesk.web.core.auditchain import check_published, head_line
    from trialdesk.web.core.models import AuditRecord

    trial = _trial_id()
    files = [Path(target) for target in targets if not target.startswith(MAILTO)]
    earlier = _read_published([path for path in files if path.is_file()], trial)
    if earlier:
        seqs = {head.seq for head in earlier}
        chain = dict(AuditRecord.objects.filter(seq__in=seqs).values_list("seq", "hash"))
        check = check_published(chain, last["seq"], earlier)
        if not check.ok:
            raise click.ClickException(_("not published: %(problem)s")
                                       % {"problem": check.problem})
    line = head_line(seq=last["seq"], digest=last["hash"], at=last["at"],
                     published_at=timezone.now(), trial=trial)
    for path in files:
        _append_line(path, line)
    for target in targets:
        if target.startswith(MAILTO):
            _mail_head(target[len(MAILTO):], last, line, trial)


def _append_line(path: Path, line: str) -> None:
    """Append one line, durably; a new file is readable by its owner only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as error:
        raise click.ClickException(_("cannot publish to %(target)s: %(error)s")
                                   % {"target": path, "error": error.strerror}) from None
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _head_message(address: str, last: dict[str, Any], line: str, trial: str
                  ) -> tuple[str, str]:
    """The head's e-mail in the recipient's language (a user's address: the user's; any other:
    the trial's), its time as that language writes it, in UTC (issue 19)."""
    import datetime as dt

    from django.utils import timezone, translation
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    from trialdesk.web.outbox.languages import addresses_of

    facts = {"trial": trial, "seq": last["seq"], "hash": last["hash"],
             "head": f"{last['seq']}:{last['hash']}", "line": line}
    with translation.override(addresses_of([address]).get(address, "en")):
        facts["written"] = date_format(timezone.localtime(last["at"], dt.UTC),
                                       "DATETIME_FORMAT") + " (UTC)"
        subject = "[trialdesk] " + gettext("%(trial)s audit head %(seq)s") % facts
        body = gettext(
            "The audit trail of %(trial)s ends, as of now, at record %(seq)s, written on "
            "%(written)s, whose SHA-256 hash is\n\n  %(hash)s\n\nPlease keep this message. If "
            "the trial's database is ever restored from an older copy or altered, checking it "
            "against this head shows it:\n\n  trialdesk audit verify --expect-head %(head)s\n\n"
            "The same head as a JSON line (for `trialdesk audit verify --published FILE`):\n\n"
            "%(line)s\n") % facts
    return subject, body


def _mail_head(address: str, last: dict[str, Any], line: str, trial: str) -> None:
    from django.core.mail import send_mail

    subject, body = _head_message(address, last, line, trial)
    try:
        send_mail(subject, body, None, [address])
    except Exception as error:  # any transport error: the admin must know it was not sent
        raise click.ClickException(_("cannot publish to %(target)s: %(error)s")
                                   % {"target": MAILTO + address, "error": error}) from None
