"""``trialdesk demo``: a whole synthetic trial, simulated through the server's own actions.

Sites open at different dates, patients arrive for months, are screened, consented, randomized and
followed through every visit of the protocol; then the database is locked and the trial unblinded
by two people (``--stop-at`` ends earlier). The clock is simulated, so a year of trial takes
minutes. ``--serve`` then serves the result, with one user per role (passwords printed and saved).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import N_, _, current_language, number
from trialdesk.web.datadir import DEFAULT_DATA_DIR

# as in trialdesk.web.simulation, repeated so that `--help` needs no Django
STOPS = ("enrollment", "lock", "final")
EFFECTS = ("realistic", "none")
# the simulation's stages, as the progress bars and the wall-clock line name them
STAGE_NAMES = {"setup": N_("setup"), "enrollment": N_("enrollment"),
               "follow-up": N_("follow-up"), "lock": N_("lock"), "final": N_("final"),
               "outputs": N_("outputs")}


@click.command()
@click.option("--participants", type=click.IntRange(2, 100000), default=40, show_default=True,
              help="How many participants to randomize.")
@click.option("--seed", type=int, default=20200113, show_default=True,
              help="Seed of the simulation (the same seed gives the same trial).")
@click.option("--effect", type=click.Choice(EFFECTS), default="realistic", show_default=True,
              help="realistic: fewer deaths and less IL-6 with the cells; none: a null trial.")
@click.option("--stop-at", type=click.Choice(STOPS), default="final", show_default=True,
              help="enrollment: a trial in progress; lock: locked, still blinded; final: "
                   "unblinded.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=DEFAULT_DATA_DIR,
              show_default=True, help="Where the SQLite database, seed and demo users go.")
@click.option("--serve", is_flag=True, help="Then serve the trial (as `trialdesk serve`).")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --serve: the address.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="With --serve: the port.")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="With --serve: the web server's worker processes.")
@click.pass_context
def command(ctx: click.Context, participants: int, seed: int, effect: str, stop_at: str,
            data_dir: str, serve: bool, host: str, port: int, workers: int) -> None:
    """Simulate a whole trial through the real write path, then summarize (and serve) it."""
    from trialdesk.web.bootstrap import migrate, setup_django

    folder = Path(data_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    setup_django(data_dir=folder)
    migrate()
    from django.db import connections

    from trialdesk.web.trials.models import Participant

    if Participant.objects.exists():
        if not serve:
            raise click.ClickException(
                _("%(folder)s already holds a trial: choose another --data-dir, or delete it "
                  "to simulate anew") % {"folder": folder})
        click.echo(_("%(folder)s already holds a trial: serving it as it is (delete the folder "
                     "to simulate anew)") % {"folder": folder}, err=True)
    else:
        result = _simulate(folder, participants, seed, effect, stop_at)
        _summary(result)
    connections.close_all()
    sys.stdout.flush()
    if serve:
        from trialdesk.commands.server import command as serve_command

        ctx.invoke(serve_command, data_dir=str(folder), host=host, port=port, workers=workers)


def _simulate(folder: Path, participants: int, seed: int, effect: str, stop_at: str) -> Any:
    from tqdm import tqdm

    from trialdesk.web.simulation import simulate_trial

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(total=total, desc=f"{stage_name(stage):<10}", unit="",
                                     position=0, leave=True, file=sys.stderr)
        if (bar.n, bar.total) != (done, max(total, done)):  # called for every event
            bar.total = max(total, done)
            bar.n = done
            bar.refresh()

    try:
        return simulate_trial(data_dir=folder, participants=participants, seed=seed,
                              effect=effect, stop_at=stop_at, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()


def stage_name(stage: str) -> str:
    """A stage of the simulation in the output's language (an unknown one as it is)."""
    return _(STAGE_NAMES[stage]) if stage in STAGE_NAMES else stage


def _primary_result() -> str:
    from trialdesk.stats.analysis.proportions import two_proportions_from_frame
    from trialdesk.web.reports.data import load_report_data

    data = load_report_data(show_arms=True, language=current_language())
    outcome = _("28-day mortality")
    try:
        result = two_proportions_from_frame(data.participants, group="group", event="dead",
                                            groups=data.groups, outcome=outcome)
    except ValueError as error:
        # a small trial may leave an arm without a known day-28 status (lost, withdrawn): the
        # report says so in its section; the summary must not end the run in a traceback
        return _("%(outcome)s could not be computed from these data: %(error)s") % {
            "outcome": outcome, "error": error}
    return primary_line(outcome, result)


def primary_line(outcome: str, result: Any) -> str:
    """The primary result in one line: each arm's events, the risk difference, the test."""
    groups = "; ".join(f"{g.label}: {g.events}/{g.n} ({number(g.proportion.estimate, '.0%')})"
                       for g in (result.a, result.b))
    difference = result.risk_difference
    return _("%(outcome)s: %(groups)s; risk difference %(estimate)s (95%% CI %(lower)s to "
             "%(upper)s), %(test)s p = %(p)s") % {
        "outcome": outcome, "groups": groups, "estimate": number(difference.estimate, "+.3f"),
        "lower": number(difference.lower, "+.3f"), "upper": number(difference.upper, "+.3f"),
        "test": result.test.name, "p": number(result.test.p_value, ".3g")}


def _audit_status() -> str:
    from trialdesk.web.core.auditchain import HASHED_FIELDS, verify_chain
    from trialdesk.web.core.models import AuditRecord

    check = verify_chain(AuditRecord.objects.order_by("seq").values(*HASHED_FIELDS, "hash")
                         .iterator())
    return (_("intact (%(count)d records)") % {"count": check.count} if check.ok
            else _("BROKEN at record %(seq)s: %(problem)s") % {"seq": check.first_bad_seq,
                                                               "problem": check.problem})


def _summary(result: Any) -> None:
    counts = result.counts
    echo = click.echo
    echo("\n" + _("simulated trial in %(folder)s (stopped at: %(stage)s)")
         % {"folder": result.data_dir, "stage": stage_name(result.stop_at)})
    echo("  " + _("simulated time: %(start)s to %(end)s; randomizations %(first)s to %(last)s")
         % {"start": f"{result.started:%Y-%m-%d}", "end": f"{result.ended:%Y-%m-%d}",
            "first": result.first_randomization, "last": result.last_randomization})
    echo("  " + _("wall-clock time: %(stages)s") % {"stages": ", ".join(
        f"{stage_name(stage)} {number(seconds, '.1f')} s"
        for stage, seconds in result.seconds.items())})
    echo("  " + _("allocation list commitment (SHA-256): %(commitment)s")
         % {"commitment": result.commitment})
    randomized = f"{counts['randomized']}"
    if "randomized_by_arm" in counts:
        randomized += " (" + ", ".join(f"{arm} {n}" for arm, n in
                                       counts["randomized_by_arm"].items()) + ")"
    else:
        randomized += " " + _("(arms blinded until the final unblinding)")
    echo("  " + _("CONSORT: screened %(screened)s, eligible %(eligible)s, consented "
                  "%(consented)s, randomized %(randomized)s")
         % {**counts, "randomized": randomized})
    echo("           " + _("completed %(completed)s, died %(died)s, withdrew %(withdrew)s, "
                           "lost %(lost)s, in follow-up %(in_follow_up)s") % counts)
    if result.not_randomized:
        echo("  " + _("consented but not randomized (a stratum's list used up): %(n)s")
             % {"n": result.not_randomized})
    if result.stop_at == "final":
        echo("  " + _("primary result: %(result)s") % {"result": _primary_result()})
    outputs = result.outputs
    forms = sorted(path for name, path in outputs.items() if name.startswith("forms/"))
    echo("  " + _("analysis report: %(path)s") % {"path": outputs["report"]})
    datasets = (_("analysis datasets %(adsl)s, %(adtte)s") % {"adsl": outputs["adsl"],
                                                              "adtte": outputs["adtte"]}
                if "adsl" in outputs else _("analysis datasets after the final unblinding"))
    echo("  " + _("exports: %(folder)s (%(n)d forms as CSV); %(datasets)s")
         % {"folder": forms[0].parent if forms else "-", "n": len(forms), "datasets": datasets})
    echo("  " + _("CONSORT numbers: %(path)s") % {"path": outputs["consort"]})
    echo("  " + _("audit trail: %(status)s (check with: trialdesk audit verify --data-dir "
                  "%(folder)s)") % {"status": _audit_status(), "folder": result.data_dir})
    echo("  " + _("demo users (also in %(path)s, mode 0600):")
         % {"path": result.data_dir / "demo-users.json"})
    for user in result.users:
        echo(f"    {user['username']:<28} {user['password']:<20} {user['role']:<18} "
             f"{user['site'] or '-'}")
