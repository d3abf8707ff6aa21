"""`trialdesk protocol check|show|diff`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trialdesk.commands.language import chosen_language

# The protocol package (pydantic models) is imported inside the commands, not here: `--help` and
# argument errors answer without it (tests/test_cli_import_time.py).

PATH_ARGUMENT = click.argument(
    "path", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
CONFIDENTIAL_OPTION = click.option(
    "--confidential", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="randomization.confidential.toml to check with the protocol (block sizes kept apart).",
)

LANGUAGE_HELP = "Language of the texts shown (default: the locale's if they exist in it, else en)."


@click.group(name="protocol")
def command() -> None:
    """Check and show a protocol file (default: the bundled NCT04390152)."""


@command.command()
@PATH_ARGUMENT
@CONFIDENTIAL_OPTION
def check(path: Path | None, confidential: Path | None) -> None:
    """Validate PATH; list every error at once and the texts lacking a translation.

    Exit 0 when the protocol is valid, 1 when it is not.
    """
    from trialdesk.protocol import ProtocolError, load_protocol
    from trialdesk.protocol.translations import missing_translations
    from trialdesk.protocol.units import untranslated_units

    try:
        protocol = load_protocol(path, confidential=confidential)
    except ProtocolError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    missing = missing_translations(protocol)
    name = path or "bundled protocol"
    click.echo(f"{name}: valid ({protocol.registry.nct_id}, version {protocol.version})")
    if missing:
        click.echo(f"{len(missing)} text(s) fall back to English:")
        for text_path, language in missing:
            click.echo(f"  {text_path}: no '{language}' translation")
    else:
        click.echo(f"every text is translated into: {', '.join(protocol.languages)}")
    units = untranslated_units(protocol)
    if units:
        click.echo(f"{len(units)} unit(s) are words with no translation "
                   "(add them to trialdesk/protocol/units.py):")
        for unit_path, unit in units:
            click.echo(f"  {unit_path}: {unit}")


@command.command()
@PATH_ARGUMENT
@CONFIDENTIAL_OPTION
@click.option("--language", default=None, help=LANGUAGE_HELP)
def show(path: Path | None, confidential: Path | None, language: str | None) -> None:
    """Print arms, masking, strata, the visit x form matrix and outcomes of PATH.

    What it prints may go to the sites: block sizes show as "confidential".
    """
    from trialdesk.protocol import ProtocolError, load_protocol
    from trialdesk.protocol.summary import languages, summarize

    try:
        protocol = load_protocol(path, confidential=confidential)
    except ProtocolError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(summarize(protocol, chosen_language(language, languages(protocol))))


@command.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", default=None, help=LANGUAGE_HELP)
def diff(old: Path, new: Path, language: str | None) -> None:
    """Print what changes from protocol OLD to NEW, grouped by kind (an amendment's diff).

    Offline: reads the two files only. Block sizes and other confidential values show as
    "confidential", never their values.
    """
    from trialdesk.protocol import ProtocolError, load_protocol
    from trialdesk.protocol.amendment import diff_protocols, render_diff
    from trialdesk.protocol.amendment_text import TEXTS

    language = chosen_language(language, list(TEXTS))
    try:
        protocols = [load_protocol(path) for path in (old, new)]
    except ProtocolError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(render_diff(diff_protocols(*protocols), language))


def _approval(ctx: click.Context, param: click.Parameter,
              values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        site, _, day = value.partition("=")
        if not site.strip() or not day.strip():
            raise click.BadParameter(f"{value!r}: write SITE=YYYY-MM-DD, e.g. CO-01=2026-03-01")
        pairs.append((site.strip(), day.strip()))
    return pairs


@command.command()
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective-date", default=None,
              help="The day the amendment takes effect (YYYY-MM-DD; default: today).")
@click.option("--reason", default="", help="Why the protocol is amended (required to apply).")
@click.option("--apply", "apply_", is_flag=True, help="Record the amendment (default: show it).")
@click.option("--approve", multiple=True, callback=_approval, metavar="SITE=DATE",
              help="Record a site's ethics approval of the amendment (repeatable); with a file "
                   "already recorded, approves its version.")
@click.option("--user", default="admin", show_default=True,
              help="The account (with manage_protocol) the records are made by.")
@click.option("--language", default=None,
              help="Language of the diff (default: the locale's if it exists in it, else en).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="The server's data directory (default: the server's).")
@click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL.")
def amend(new: Path, effective_date: str | None, reason: str, apply_: bool,
          approve: list[tuple[str, str]], user: str, language: str | None, data_dir: str | None,
          database: str | None) -> None:
    """Show what protocol NEW changes against the latest recorded version, classified (forms,
    fields, ranges, visits, eligibility, consent, randomization); with --apply, record it.

    A change to the randomization once the allocation list is loaded is refused, naming the
    field (allocation follows the list, made from the first version's parameters). Each
    site keeps the version before until its ethics approval is entered (--approve).
    """
    from trialdesk.commands.protocol_amend import run_amend
    from trialdesk.protocol.amendment_text import TEXTS

    language = chosen_language(language, list(TEXTS))
    sys.exit(run_amend(new, effective_date=effective_date, reason=reason, apply=apply_,
                       approvals=approve, username=user, language=language,
                       data_dir=data_dir, database=database))
