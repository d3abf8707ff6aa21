"""`trialdesk registry import|export|search`: the public trial registry from the command line."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import click

BAD_INPUT = 2


class _RegistryChoice(click.Choice):
    """A choice among the values of one ClinicalTrials.gov enumeration, read on first use.

    The values are read only when click shows or checks them, so that `trialdesk registry
    --help` and the other commands' errors do not pay for them.
    """

    def __init__(self, enumeration: str) -> None:
        self._enumeration = enumeration
        self._values: tuple[str, ...] | None = None
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(getattr(_enumerations(), self._enumeration).__args__)
        return self._values

    @choices.setter
    def choices(self, values: tuple[str, ...]) -> None:
        # click.Choice.__init__ assigns the (empty) tuple given above: the values come from the
        # enumeration, so only a non-empty assignment replaces them.
        if values:
            self._values = tuple(values)


def _enumerations() -> ModuleType:
    """``trialdesk.standards.ctgov.enums``, read without its package.

    The module holds only ``Literal`` types, but importing it runs ``trialdesk.standards.ctgov``'s
    ``__init__``, which builds the pydantic models and loads the protocol package (0.3 s or more):
    too slow for `trialdesk registry search --help`. Once the package is imported anyway, its own
    module is used (tests/test_cli_import_time.py checks that both give the same values).
    """
    loaded = sys.modules.get("trialdesk.standards.ctgov.enums")
    if loaded is not None:
        return loaded
    import trialdesk.standards

    path = Path(trialdesk.standards.__file__).parent / "ctgov" / "enums.py"
    spec = importlib.util.spec_from_file_location("_trialdesk_ctgov_enums", path)
    if spec is None or spec.loader is None:  # not a plain source tree: pay for the package
        return importlib.import_module("trialdesk.standards.ctgov.enums")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
@click.option("--status", type=_RegistryChoice("OverallStatus"), default=None)
@click.option("--phase", type=_RegistryChoice("Phase"), default=None)
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
