"""``trialdesk export FORMAT --out DIR``: the trial's data in a standard format (SDTM, ADaM, ...).

Runs the same job as the exports page (audited as the command line's operator, "cli"): its task
is claimed at once and run in this process, with a progress bar, while the process beats as a
task worker does; killed, its task is run again by a worker (into the same folder); stopped
with Ctrl-C, the job is recorded failed. The allocation is the framework's decision: the real
arms after the final unblinding, the dummy allocation (labelled as such) before it;
``--no-allocation`` for none.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from trialdesk.commands.language import N_, _
from trialdesk.web.datadir import DEFAULT_DATA_DIR

# the allocation an export carries (exports.context.allocation_for), in words
ALLOCATIONS = {"real": N_("real"), "dummy": N_("dummy"), "none": N_("none")}


@click.command()
@click.argument("format_name", metavar="FORMAT")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the files into (created).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
              show_default=True)
@click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL.")
@click.option("--no-allocation", is_flag=True, help="Write no allocation at all.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as one JSON object.")
def command(format_name: str, out: Path, data_dir: str, database: str | None,
            no_allocation: bool, as_json: bool) -> None:
    """Export the trial's data in a standard format (sdtm, adam, ...)."""
    from tqdm import tqdm

    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.exports.actions import do_start_export_from_command_line
    from trialdesk.web.exports.context import allocation_for
    from trialdesk.web.exports.formats import EXPORT_FORMATS
    from trialdesk.web.exports.jobs import run_here
    from trialdesk.web.exports.models import ExportJob
    from trialdesk.web.exports.presenters import job_view
    from trialdesk.web.worker.runner import heartbeat

    if format_name not in EXPORT_FORMATS:
        raise click.BadParameter(_("one of %(formats)s") % {"formats": ", ".join(EXPORT_FORMATS)},
                                 param_hint="FORMAT")
    allocation = allocation_for(None, without=no_allocation)
    with heartbeat() as worker_id:
        job = do_start_export_from_command_line(format_name=format_name, allocation=allocation,
                                                folder=out, worker_id=worker_id)
        with tqdm(total=1, desc=format_name, unit="step", disable=as_json) as bar:
            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            run_here(job.pk, out, worker_id, on_progress=advance)
    job = ExportJob.objects.get(pk=job.pk)
    if as_json:
        click.echo(json.dumps({**job_view(job), "out": str(out)}, indent=2))
    elif job.state == ExportJob.DONE:
        shown = ALLOCATIONS.get(job.allocation)
        click.echo(_("%(format)s: %(n)d files in %(out)s (allocation: %(allocation)s; SHA-256 "
                     "%(sha256)s)") % {"format": format_name, "n": len(job.files), "out": out,
                                       "allocation": _(shown) if shown
                                       else job.allocation, "sha256": job.sha256})
    if job.state != ExportJob.DONE:
        raise click.ClickException(_("the export failed: %(error)s") % {"error": job.error})
