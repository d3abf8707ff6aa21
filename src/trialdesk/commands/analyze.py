"""``trialdesk analyze ...``: the trial's statistical analyses on any data file.

Every command prints a text table, or with ``--json`` a JSON object holding every figure of the
table and the names of the methods. Bad input (a missing column, a group column with other than
two groups, negative times, an event column that is not 0/1, counts that do not add up) is an
error naming the column or box and the rule, with exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import _, decimal_mark, translator

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xpt")


class InputError(click.ClickException):
    """Input that an analysis refuses; exit status 2 like click's usage errors."""

    exit_code = 2


def _refusals(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the analyses' input errors into exit status 2 with the message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except ValueError as error:
            # The analyses' error classes are imported only here, once something failed: a bad
            # option is answered before the statistics (pandas, scipy) are imported at all.
            from trialdesk.stats.analysis import AnalysisInputError, ConsortError

            message = str(error)
            if isinstance(error, AnalysisInputError | ConsortError) and (
                "exactly two groups" in message
            ):
                message += " " + _("(compare two of them with --groups A --groups B)")
            raise InputError(message) from error

    return wrapper


def _read(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".xpt":
        import pyreadstat

        frame, _meta = pyreadstat.read_xport(str(path))
        return frame
    if suffix in (".tsv", ".txt"):
        return pd.read_csv(path, sep="\t")
    if suffix == ".csv":
        return pd.read_csv(path)
    raise InputError(_("--data %(file)s: the file must be one of %(suffixes)s")
                     % {"file": path.name, "suffixes": ", ".join(DATA_SUFFIXES)})


def _select_groups(frame, group: str, groups: tuple[str, ...]) -> tuple[Any, list[str], int]:
    """With --groups A --groups B keep only those two groups (matched as text), in that order."""
    if not groups:
        return frame, None, 0
    if len(groups) != 2:
        raise InputError(_("--groups: name exactly two groups (got %(n)d)") % {"n": len(groups)})
    if group not in frame.columns:
        raise InputError(_("column %(column)r: not in the data") % {"column": group})
    as_text = frame[group].astype(str)
    for g in groups:
        if not (as_text == g).any():
            raise InputError(_("column %(column)r: group %(group)r does not occur in the data")
                             % {"column": group, "group": g})
    keep = as_text.isin(groups) | frame[group].isna()
    dropped = int((~keep).sum())
    subset = frame.loc[keep].copy()
    subset[group] = subset[group].where(subset[group].isna(), subset[group].astype(str))
    return subset, list(groups), dropped


def _wording() -> Any:
    """The text tables' language: this invocation's words and decimal mark."""
    from trialdesk.stats.analysis._base import Wording

    return Wording(t=translator(), decimal=decimal_mark())


def _left_out(dropped: int) -> str:
    return _("rows of other groups left out: %(n)d") % {"n": dropped}


def _emit(result: Any, as_json: bool, dropped: int = 0) -> None:
    if as_json:
        data = result.to_dict()
        if dropped:
            data["rows_of_other_groups_left_out"] = dropped
        click.echo(json.dumps(data, indent=2, allow_nan=False))
    else:
        click.echo(result.to_text(_wording()))
        if dropped:
            click.echo(_left_out(dropped))


def _forest(result: Any, plot: Path | None, title: str) -> None:
    if plot is None:
        return
    from trialdesk.stats.analysis import forest_plot

    comparison = f"{result.to_dict()['comparison']}"
    forest_plot(result.effects(), plot, title=title, comparison=comparison)


def _plot_path(value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() not in (".png", ".svg"):
        raise InputError(_("--plot %(file)s: the file must end in .png or .svg")
                         % {"file": path.name})
    return path


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
plot_option = click.option("--plot", "plot", default=None, help="Write a plot (.png or .svg).")
level_option = click.option(
    "--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
    help="Confidence level of the intervals.",
)
groups_option = click.option(
    "--groups", multiple=True,
    help="Name the two groups to compare, twice, in order (first vs second, the reference); "
    "rows of other groups are left out.",
)
data_option = click.option(
    "--data", "data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data file: .csv, .tsv or SAS transport .xpt.",
)


@click.group(name="analyze")
def command() -> None:
    """The trial's statistical analyses on any data (text, --json, --plot)."""


@command.command()
@click.option("--events-a", type=int, help="Events in group A.")
@click.option("--n-a", type=int, help="Participants in group A.")
@click.option("--events-b", type=int, help="Events in group B.")
@click.option("--n-b", type=int, help="Participants in group B.")
@click.option("--label-a", default="A", show_default=True, help="Label of group A, as shown.")
@click.option("--label-b", default="B", show_default=True, help="Label of group B, as shown.")
@data_option
@click.option("--group", help="Group column (with --data).")
@click.option("--event", help="Event column, 0/1 (with --data).")
@groups_option
@click.option(
    "--test", type=click.Choice(["auto", "fisher", "chi2", "chi2-yates"]), default="auto",
    show_default=True,
    help="auto: Pearson's chi-squared unless an expected count is below 5, then Fisher's exact.",
)
@click.option("--outcome", default="", help="Name of the outcome, for the table.")
@level_option
@json_option
@plot_option
@_refusals
def proportions(
    events_a, n_a, events_b, n_b, label_a, label_b, data, group, event, groups, test, outcome,
    level, as_json, plot,
) -> None:
    """Two proportions: Wilson, Newcombe, Katz, odds ratio, and the test named."""
    plot = _plot_path(plot)
    counts = (events_a, n_a, events_b, n_b)
    dropped = 0
    if data is not None:
        if any(v is not None for v in counts):
            raise InputError(_("give either counts (--events-a ...) or --data, not both"))
        if not group or not event:
            raise InputError(_("--data needs --group COL and --event COL"))
        from trialdesk.stats.analysis import two_proportions_from_frame

        frame, order, dropped = _select_groups(_read(data), group, groups)
        result = two_proportions_from_frame(
            frame, group=group, event=event, groups=order, test=test, level=level,
            outcome=outcome,
        )
    else:
        if any(v is None for v in counts):
            raise InputError(_("give --events-a, --n-a, --events-b and --n-b (or --data)"))
        from trialdesk.stats.analysis import two_proportions

        result = two_proportions(
            events_a, n_a, events_b, n_b, label_a=label_a, label_b=label_b, test=test,
            level=level, outcome=outcome,
        )
    _emit(result, as_json, dropped)
    _forest(result, plot, result.outcome or "Two proportions")


def _parse_times(value: str | None) -> list[float]:
    if not value:
        return []
    try:
        times = [float(v) for v in value.split(",") if v.strip()]
    except ValueError as error:
        raise InputError(_("--at %(value)r: give times separated by commas, e.g. 7,14,28")
                         % {"value": value}) from error
    for t in times:
        if t < 0:
            raise InputError(_("--at: times must not be negative (got %(time)s)")
                             % {"time": f"{t:g}"})
    return times


@command.command()
@data_option
@click.option("--time", "time_col", required=True, help="Time column (days), not negative.")
@click.option("--event", help="Event column: 1 = event, 0 = censored.")
@click.option("--censor", help="Censoring column instead (ADaM CNSR): 1 = censored, 0 = event.")
@click.option("--group", required=True, help="Group column (two groups).")
@groups_option
@click.option("--at", "at", default=None, help="Times for survival estimates, e.g. 7,14,28.")
@click.option("--outcome", default="", help="Name of the outcome, for the table.")
@level_option
@json_option
@plot_option
@_refusals
def survival(data, time_col, event, censor, group, groups, at, outcome, level, as_json, plot):
    """Kaplan-Meier, median, survival at times, log-rank, Cox hazard ratio."""
    if data is None:
        raise InputError(_("--data FILE is required"))
    plot = _plot_path(plot)
    if (event is None) == (censor is None):
        raise InputError(_("give exactly one of --event COL or --censor COL"))
    at_times = _parse_times(at)
    from trialdesk.stats.analysis import survival_analysis
    from trialdesk.stats.analysis._base import binary_column

    frame, order, dropped = _select_groups(_read(data), group, groups)
    event_col = event
    if censor is not None:
        if censor not in frame.columns:
            raise InputError(_("column %(column)r: not in the data") % {"column": censor})
        event_col = f"event (1 - {censor})"
        present = frame[censor].notna()
        frame[event_col] = None
        frame.loc[present, event_col] = 1 - binary_column(frame.loc[present, censor], censor)
    result = survival_analysis(
        frame, time=time_col, event=event_col, group=group, groups=order, at=at_times,
        level=level, outcome=outcome or _default_time_outcome(time_col, as_json),
    )
    _emit(result, as_json, dropped)
    if plot is not None:
        result.plot(plot)


def _default_time_outcome(time_col: str, as_json: bool) -> str:
    """The outcome's name when none is given: in English in JSON, which is read by programs."""
    if as_json:
        return f"time to event ({time_col})"
    return _("time to event (%(column)s)") % {"column": time_col}


@command.command()
@data_option
@click.option("--group", required=True, help="Group column (two groups).")
@click.option("--vfd", "vfd_col", help="Ventilator-free days column (0 to the horizon).")
@click.option("--participant", help="Participant column, to derive VFD from ventilation periods.")
@click.option("--start", help="Ventilation start day column (one row per period).")
@click.option("--stop", help="Ventilation stop day column (empty: ventilated to the horizon).")
@click.option("--death-day", help="Day of death column (empty: alive at the horizon).")
@click.option("--horizon", type=float, default=28, show_default=True, help="Last day counted.")
@groups_option
@level_option
@json_option
@plot_option
@_refusals
def vfd(data, group, vfd_col, participant, start, stop, death_day, horizon, groups, level,
        as_json, plot):
    """Ventilator-free days: Mann-Whitney test, Hodges-Lehmann shift and interval."""
    if data is None:
        raise InputError(_("--data FILE is required"))
    plot = _plot_path(plot)
    from trialdesk.stats.analysis import derive_ventilator_free_days, ventilator_free_days_analysis

    frame, order, dropped = _select_groups(_read(data), group, groups)
    derive = [participant, start, stop, death_day]
    if vfd_col is None:
        if any(v is None for v in derive):
            raise InputError(
                _("give --vfd COL, or --participant, --start, --stop and --death-day to derive it")
            )
        for col in [participant, group]:
            if col not in frame.columns:
                raise InputError(_("column %(column)r: not in the data") % {"column": col})
        days = derive_ventilator_free_days(
            frame, participant=participant, start=start, stop=stop, death_day=death_day,
            horizon=horizon,
        )
        per_participant = frame.groupby(participant)[group].agg(lambda s: s.dropna().unique())
        for pid, labels in per_participant.items():
            if len(labels) > 1:
                raise InputError(_("column %(column)r: participant %(participant)r is in more "
                                   "than one group") % {"column": group, "participant": pid})
        import pandas as pd

        frame = pd.DataFrame(
            {
                group: [labels[0] if len(labels) else None for labels in per_participant],
                "ventilator_free_days": days.reindex(per_participant.index).to_numpy(),
            }
        )
        vfd_col = "ventilator_free_days"
    result = ventilator_free_days_analysis(
        frame, vfd=vfd_col, group=group, groups=order, level=level, horizon=horizon
    )
    _emit(result, as_json, dropped)
    _forest(result, plot, result.outcome)


@command.command()
@data_option
@click.option("--group", required=True, help="Group column (two groups).")
@click.option("--baseline", required=True, help="Baseline value column (e.g. PaO2/FiO2 day 0).")
@click.option("--followup", required=True, help="Follow-up value column (e.g. day 7).")
@groups_option
@click.option("--outcome", default="", help="Name of the outcome, for the table.")
@level_option
@json_option
@plot_option
@_refusals
def continuous(data, group, baseline, followup, groups, outcome, level, as_json, plot):
    """Change from baseline: ANCOVA adjusted for baseline, difference with interval."""
    if data is None:
        raise InputError(_("--data FILE is required"))
    plot = _plot_path(plot)
    from trialdesk.stats.analysis import change_from_baseline

    frame, order, dropped = _select_groups(_read(data), group, groups)
    result = change_from_baseline(
        frame, group=group, baseline=baseline, followup=followup, groups=order, level=level,
        outcome=outcome,
    )
    _emit(result, as_json, dropped)
    _forest(result, plot, result.outcome)


@command.command()
@data_option
@click.option("--participant", required=True, help="Participant column.")
@click.option("--group", required=True, help="Group column (two groups).")
@click.option("--day", required=True, help="Day column (a number).")
@click.option("--value", "values", required=True, multiple=True,
              help="Value column, e.g. IL6; repeat for several.")
@click.option("--lod", default=None,
              help="Limit of detection: a number, or a column holding it per row.")
@click.option("--lod-rule", type=click.Choice(["half", "lod", "sqrt2"]), default="half",
              show_default=True, help="Value given to results below the LOD.")
@click.option("--engine", type=click.Choice(["profile", "statsmodels"]), default="profile",
              show_default=True, help="Fitter of the mixed model (same model and numbers).")
@groups_option
@level_option
@json_option
@plot_option
@_refusals
def repeated(data, participant, group, day, values, lod, lod_rule, engine, groups, level,
             as_json, plot):
    """Repeated measures: mixed model on log values, geometric mean ratios by day."""
    if data is None:
        raise InputError(_("--data FILE is required"))
    plot = _plot_path(plot)
    from trialdesk.stats.analysis import repeated_measures

    frame, order, dropped = _select_groups(_read(data), group, groups)
    lod_value: float | str | None = None
    if lod is not None:
        try:
            lod_value = float(lod)
        except ValueError:
            lod_value = lod
    results = []
    for value in values:
        result = repeated_measures(
            frame, participant=participant, group=group, day=day, value=value, groups=order,
            lod=lod_value, lod_rule=lod_rule, level=level, engine=engine,
        )
        results.append(result)
        if plot is not None:
            target = plot if len(values) == 1 else plot.with_name(
                f"{plot.stem}_{value}{plot.suffix}"
            )
            result.plot(target)
    if as_json:
        payload = [r.to_dict() for r in results]
        out: Any = payload[0] if len(payload) == 1 else payload
        if dropped:
            out = {"results": payload, "rows_of_other_groups_left_out": dropped}
        click.echo(json.dumps(out, indent=2, allow_nan=False))
    else:
        wording = _wording()
        click.echo("\n\n".join(r.to_text(wording) for r in results))
        if dropped:
            click.echo(_left_out(dropped))


@command.command()
@click.option("--counts", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file of CONSORT counts.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SVG file to write.")
@json_option
@_refusals
def consort(counts, out, as_json):
    """CONSORT 2010 flow diagram (SVG) from counts; refuses counts that do not add up."""
    if out.suffix.lower() != ".svg":
        raise InputError(_("--out %(file)s: the diagram is written as .svg") % {"file": out.name})
    from trialdesk.stats.analysis import ConsortCounts

    try:
        data = json.loads(counts.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(_("--counts %(file)s: not valid JSON (%(error)s)")
                         % {"file": counts.name, "error": error}) from error
    try:
        flow = ConsortCounts.from_dict(data)
    except TypeError as error:
        raise InputError(f"--counts {counts.name}: {error}") from error
    path = flow.write_svg(out)
    if as_json:
        click.echo(json.dumps({"written": str(path), "checked": True}, indent=2))
    else:
        click.echo(_("CONSORT flow diagram written to %(file)s (counts checked).")
                   % {"file": path})
