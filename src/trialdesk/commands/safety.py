"""``trialdesk safety boundary|incidence|deadlines``: the safety rules for statisticians, scripts.

The same functions the server uses (:mod:`trialdesk.safety`), so a DSMB charter's table, a
report's interval and a case's due date can be redone from the command line. Every command prints
a text table, or with ``--json`` one JSON object. Bad input exits with status 2 and a message
naming the option and the rule. Nothing here imports Django: ``trialdesk safety --help`` and
these three commands run without a trial server.

``load-dictionary`` (reading a MedDRA release into the database) belongs to the web layer; it is
added to :data:`command` (this module's click group) below, with Django imported inside the
command's function so that ``--help`` stays free of it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import click

from trialdesk.commands.language import N_, _, number

# the reports a clock runs for (trialdesk.safety.clocks.ReportKind), in words
REPORT_KINDS = {"sae_to_sponsor": N_("SAE to the sponsor"), "susar_7_day": N_("SUSAR, 7 days"),
                "susar_follow_up_8_day": N_("SUSAR follow-up, 8 days"),
                "susar_15_day": N_("SUSAR, 15 days")}


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _probability(value: float, option: str) -> float:
    if not 0 < value < 1:
        raise click.BadParameter(
            _("must lie strictly between 0 and 1, got %(value)s") % {"value": f"{value:g}"},
            param_hint=option,
        )
    return value


@click.group(name="safety")
def command() -> None:
    """Safety: the Bayesian stopping-rule table, incidence intervals, reporting deadlines."""


# -- boundary -----------------------------------------------------------------------------------


@command.command()
@click.option(
    "--prior",
    nargs=2,
    type=float,
    required=True,
    metavar="A B",
    help="Beta(A, B) prior on the event rate (e.g. 1 1: uniform).",
)
@click.option(
    "--threshold", type=float, required=True, help="The rate that is too high (e.g. 0.30)."
)
@click.option(
    "--cutoff",
    type=float,
    required=True,
    help="Stop when P(rate > threshold | data) exceeds this (e.g. 0.90).",
)
@click.option(
    "--max-n",
    type=click.IntRange(1, 100_000),
    required=True,
    help="Tabulate for 1..N treated participants.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
def boundary(
    prior: tuple[float, float], threshold: float, cutoff: float, max_n: int, as_json: bool
) -> None:
    """The stopping rule's table: for each number treated, the events that trip it.

    The rule stops (alerts the DSMB) when P(rate > threshold | x of n) > cutoff under a
    Beta(A, B) prior; the table gives the smallest such x for every n, "-" where none does.
    """
    a, b = prior
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise click.BadParameter(
            _("both Beta parameters must be finite and > 0, got %(a)s %(b)s")
            % {"a": f"{a:g}", "b": f"{b:g}"}, param_hint="--prior",
        )
    _probability(threshold, "--threshold")
    _probability(cutoff, "--cutoff")
    # Imported once the options are known to be good (scipy): a bad option is answered at once.
    from trialdesk.safety.boundary import boundary_table

    rows = boundary_table(a, b, threshold, cutoff, max_n)
    if as_json:
        _emit(
            {
                "rule": {
                    "prior": {"a": a, "b": b},
                    "threshold": threshold,
                    "cutoff": cutoff,
                    "statement": f"stop if P(rate > {threshold:g} | data) > {cutoff:g} "
                    f"under a Beta({a:g}, {b:g}) prior",
                },
                "max_n": max_n,
                "boundary": {str(r.n): r.min_events for r in rows},
                "rows": [r.to_dict() for r in rows],
            }
        )
        return
    values = {"threshold": number(threshold), "cutoff": number(cutoff), "a": number(a),
              "b": number(b)}
    click.echo(_("Stop if P(rate > %(threshold)s | data) > %(cutoff)s under a Beta(%(a)s, %(b)s) "
                 "prior") % values)
    header = [_("treated"), _("stop if events >="), _("P(rate > %(threshold)s)") % values]
    widths = [max(len(header[0]), 7), max(len(header[1]), 17), max(len(header[2]), 14)]
    click.echo("  ".join(f"{text:>{width}}" for text, width in zip(header, widths, strict=True)))
    for r in rows:
        events = "-" if r.min_events is None else str(r.min_events)
        prob = "" if r.probability is None else number(r.probability, ".4f")
        click.echo("  ".join(f"{text:>{width}}" for text, width
                             in zip((str(r.n), events, prob), widths, strict=True)))


# -- incidence ----------------------------------------------------------------------------------


@command.command()
@click.option(
    "--events", type=click.IntRange(0), required=True, help="Participants with the event."
)
@click.option("--n", type=click.IntRange(1), required=True, help="Participants at risk.")
@click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the text.")
def incidence(events: int, n: int, level: float, as_json: bool) -> None:
    """A proportion with its exact Clopper-Pearson interval."""
    if events > n:
        raise click.BadParameter(
            _("%(events)d events cannot exceed --n %(n)d participants")
            % {"events": events, "n": n}, param_hint="--events",
        )
    _probability(level, "--level")
    from trialdesk.safety.incidence import incidence as compute

    result = compute(events, n, level)
    if as_json:
        _emit(result.to_dict())
        return
    click.echo(_("%(events)d/%(n)d = %(proportion)s; %(level)s%% %(method)s: %(lower)s to "
                 "%(upper)s") % {"events": events, "n": n,
                                 "proportion": number(result.proportion, ".4f"),
                                 "level": number(level * 100), "method": result.method,
                                 "lower": number(result.lower, ".4f"),
                                 "upper": number(result.upper, ".4f")})


# -- deadlines ----------------------------------------------------------------------------------


def _day0(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("%(value)r: expected a calendar date YYYY-MM-DD") % {"value": value},
            param_hint="--day0",
        ) from None


def _aware_at(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("%(value)r: expected an ISO 8601 date and time, e.g. 2026-03-01T03:30Z")
            % {"value": value},
            param_hint="--aware-at",
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise click.BadParameter(
            _("%(value)r has no time zone: add Z (UTC) or an offset such as -05:00")
            % {"value": value},
            param_hint="--aware-at",
        )
    return at


@command.command()
@click.option(
    "--day0",
    default=None,
    metavar="YYYY-MM-DD",
    help="Day 0: the day the sponsor first had the minimum information for a SUSAR.",
)
@click.option(
    "--fatal-or-life-threatening",
    is_flag=True,
    help="The SUSAR is fatal or life-threatening (7 days, follow-up 8 more) rather than 15 days.",
)
@click.option(
    "--aware-at",
    default=None,
    metavar="ISO",
    help="When the investigator became aware of an SAE (with a time zone, e.g. "
    "2026-03-01T03:30Z): adds the 24-hour report to the sponsor.",
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    help="The sponsor's time zone (IANA name, e.g. America/Bogota): day 0 is counted there and "
    "due dates are shown there.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the text.")
def deadlines(
    day0: str | None,
    fatal_or_life_threatening: bool,
    aware_at: str | None,
    tz: str,
    as_json: bool,
) -> None:
    """Due dates of the safety reports (ICH E2A; Regulation (EU) 536/2014).

    Calendar days, weekends and holidays included; a report due on a day is in time until that
    day ends in --tz.
    """
    from trialdesk.safety.clocks import in_time_zone, sae_deadline, susar_deadlines

    day = _day0(day0)
    aware = _aware_at(aware_at)
    if day is None and aware is None:
        raise click.UsageError(_("give --day0 (SUSAR reports) and/or --aware-at (SAE report)"))
    try:
        in_time_zone(dt.datetime.now(dt.UTC), tz)
    except ValueError as error:
        raise click.BadParameter(str(error).removeprefix("tz: "), param_hint="--tz") from None
    found = []
    if aware is not None:
        found.append(sae_deadline(aware))
    if day is not None:
        found.extend(
            susar_deadlines(day, fatal_or_life_threatening=fatal_or_life_threatening, tz=tz)
        )
    rows = []
    for d in found:
        local = in_time_zone(d.due, tz)
        rows.append(
            {
                "kind": d.kind.value,
                "due_utc": d.due.isoformat(),
                "due_local": local.isoformat(),
                "due_date": local.date().isoformat(),
                "basis": d.basis,
            }
        )
    if as_json:
        _emit(
            {
                "tz": tz,
                "day0": None if day is None else day.isoformat(),
                "fatal_or_life_threatening": fatal_or_life_threatening if day else None,
                "aware_at": None if aware is None else aware.astimezone(dt.UTC).isoformat(),
                "deadlines": rows,
            }
        )
        return
    kinds = {kind: _(words) for kind, words in REPORT_KINDS.items()}
    width = max(len(words) for words in kinds.values())
    for row in rows:
        local = dt.datetime.fromisoformat(row["due_local"])
        due = _("due %(local)s %(tz)s (%(utc)s UTC)") % {
            "local": f"{local:%Y-%m-%d %H:%M}", "tz": tz,
            "utc": f"{dt.datetime.fromisoformat(row['due_utc']):%Y-%m-%d %H:%M}"}
        click.echo(f"{kinds.get(row['kind'], row['kind']):<{width}} {due}: {row['basis']}")


# -- load-dictionary ----------------------------------------------------------------------------


@command.command("load-dictionary")
@click.option("--meddra", "folder", required=True,
              type=click.Path(exists=True, file_okay=False),
              help="The MedAscii folder of the sponsor's licensed MedDRA release.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="The server's data directory (default: as `trialdesk serve`).")
@click.option("--database", default=None, envvar="DATABASE_URL", help="Database URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def load_dictionary(folder: str, data_dir: str | None, database: str | None,
                    as_json: bool) -> None:
    """Make a MedDRA release the coding dictionary (terms stay verbatim without one)."""
    from trialdesk.web.bootstrap import migrate, setup_django
    from trialdesk.web.datadir import DEFAULT_DATA_DIR

    setup_django(data_dir=data_dir or DEFAULT_DATA_DIR, database=database)
    migrate()
    from trialdesk.web.core.errors import InvalidInput
    from trialdesk.web.safety.dictionary import load_dictionary_from_command_line

    try:
        loaded = load_dictionary_from_command_line(folder)
    except InvalidInput as error:
        raise click.UsageError(f"--meddra: {error.rule}") from None
    if as_json:
        _emit(dict(loaded))
        return
    click.echo(_("MedDRA release loaded: %(counts)s")
               % {"counts": ", ".join(f"{k} {v}" for k, v in loaded.items())})
