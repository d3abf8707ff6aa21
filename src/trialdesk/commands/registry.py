"""`trialdesk registry import|export|search`: the public trial registry from the command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from trialdesk.standards.ctgov.enums import OverallStatus, Phase

BAD_INPUT = 2


def _django() -> None:
    """Set Django up (the server's settings) and create the registry tables if they are missing."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialdesk.web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if "registry_study" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


@click.group(name="registry")
def command() -> None:
    """The public trial registry: import, export and search ClinicalTrials.gov study records."""


@command.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def import_(files: tuple[Path, ...], as_json: bool) -> None:
    """Import FILES: study JSON, API pages ({"studies": [...]}) or ZIPs of the bulk download.

    Every file is validated before anything is stored: one bad record imports nothing, and each
    problem is listed with its file, record and JSON path (exit 2). An NCT number already in the
    registry is updated and its earlier version kept. Each study created or updated is audited
    (actor "cli"); studies are stored in batches of 500, each batch with its audit records in one
    transaction, so that a large import does not hold up the trial's own writes.
    """
    from trialdesk.standards.ctgov import RegistryImportError, read_files

    try:
        found = read_files(files)
    except RegistryImportError as error:
        for issue in error.issues:
            click.echo(f"error: {issue}", err=True)
        click.echo(f"nothing imported: {len(error.issues)} problem(s)", err=True)
        sys.exit(BAD_INPUT)
    _django()
    from tqdm import tqdm

    from trialdesk.web.registry.actions import import_studies
    from trialdesk.web.registry.store import Incoming

    incoming = [Incoming(item.study, item.file) for item in found]
    with tqdm(total=len(incoming), unit="study", desc="importing", file=sys.stderr,
              disable=len(incoming) < 500) as bar:
        summary = import_studies(actor="cli", incoming=incoming, progress=bar.update)
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        click.echo(f"{len(summary.created)} created, {len(summary.updated)} updated "
                   f"(earlier versions kept), {len(summary.unchanged)} unchanged")


@command.command()
@click.option("--protocol", "protocol_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Protocol file (default: the bundled NCT04390152).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write here instead of standard output.")
def export(protocol_path: Path | None, out: Path | None) -> None:
    """Write a protocol as a ClinicalTrials.gov API v2 study record."""
    from trialdesk.protocol import ProtocolError, load_protocol
    from trialdesk.standards.ctgov import study_from_protocol, study_to_json

    try:
        protocol = load_protocol(protocol_path)
    except ProtocolError as error:
        click.echo(f"--protocol: {error}", err=True)
        sys.exit(BAD_INPUT)
    text = study_to_json(study_from_protocol(protocol))
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {protocol.registry.nct_id} to {out}", err=True)


@command.command()
@click.argument("words", nargs=-1)
@click.option("--condition", default="", help="Condition or MeSH term (substring).")
@click.option("--status", type=click.Choice(OverallStatus.__args__), default=None)
@click.option("--phase", type=click.Choice(Phase.__args__), default=None)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def search(words: tuple[str, ...], condition: str, status: str | None, phase: str | None,
           page: int, per_page: int, as_json: bool) -> None:
    """Full-text search over titles, summaries, conditions and interventions, with filters."""
    _django()
    from trialdesk.web.registry.search import SearchParams, search_studies

    result = search_studies(SearchParams(q=" ".join(words), condition=condition,
                                         status=status or "", phase=phase or "", page=page,
                                         per_page=per_page))
    rows = [{"nct_id": s.nct_id, "title": s.brief_title, "status": s.overall_status,
             "phases": [code for code in s.phase_codes.split("|") if code]}
            for s in result.studies]
    if as_json:
        click.echo(json.dumps({"total": result.total, "page": result.page,
                               "pages": result.pages, "results": rows}))
        return
    for row in rows:
        click.echo(f"{row['nct_id']}  {row['status']:<22} {'/'.join(row['phases']) or '-':<13} "
                   f"{row['title']}")
    click.echo(f"{result.total} found; page {result.page} of {result.pages}", err=True)
