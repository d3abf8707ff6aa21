"""`trialdesk design boundaries|sample-size|simulate|report|predictive`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import N_, _, decimal_mark, number

# a sample size's figures (the core's to_dict() keys): English shows the keys as before; the
# catalogue gives each its Spanish words
SIZE_LABELS = {
    "n_per_arm_exact": N_("n_per_arm_exact"), "n_treatment_exact": N_("n_treatment_exact"),
    "n_per_arm_unrounded": N_("n_per_arm_unrounded"), "n_per_arm": N_("n_per_arm"),
    "n_treatment": N_("n_treatment"), "n_total": N_("n_total"),
    "n_total_exact": N_("n_total_exact"), "method": N_("method"),
    "inflation_factor": N_("inflation_factor"), "dropout": N_("dropout"),
    "events_exact": N_("events_exact"), "events": N_("events"),
    "event_probability": N_("event_probability"),
}

SPENDING_CHOICES = ["obf", "pocock", "hsd", "kd", "classical-pocock", "classical-obf"]
FUTILITY_CHOICES = ["none", "obf", "pocock", "hsd", "kd"]


def _floats(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(
            "expected numbers separated by commas", param_hint=option
        ) from None


def _emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _clean(obj: Any) -> Any:
    """Replace infinities (no bound) with None so the output is strict JSON."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _check_prob(value: float, option: str, *, closed: bool = False) -> None:
    ok = 0 <= value < 1 if closed else 0 < value < 1
    if not ok:
        rule = "in [0, 1)" if closed else "strictly between 0 and 1"
        raise click.BadParameter(f"must lie {rule}", param_hint=option)


@click.group(name="design")
def command() -> None:
    """Sample size, group-sequential boundaries, simulation, and what a trial can detect."""


# -- boundaries ---------------------------------------------------------------------------------


def _design_options(f: Any) -> Any:
    options = [
        click.option("--looks", type=click.IntRange(1, 50), default=3, show_default=True),
        click.option(
            "--alpha",
            type=float,
            default=0.025,
            show_default=True,
            help="Total type I error (two-sided designs: both sides together).",
        ),
        click.option("--sided", type=click.IntRange(1, 2), default=1, show_default=True),
        click.option(
            "--spending",
            type=click.Choice(SPENDING_CHOICES),
            default="obf",
            show_default=True,
            help="Alpha-spending family or classical design.",
        ),
        click.option(
            "--gamma",
            type=float,
            default=-4.0,
            show_default=True,
            help="Hwang-Shih-DeCani parameter (--spending hsd).",
        ),
        click.option(
            "--rho",
            type=float,
            default=3.0,
            show_default=True,
            help="Kim-DeMets power (--spending kd).",
        ),
        click.option(
            "--information-rates",
            default=None,
            help="Comma-separated information fractions ending at 1.",
        ),
        click.option(
            "--beta",
            type=float,
            default=0.2,
            show_default=True,
            help="Type II error (1 - power) for the inflation factor and futility.",
        ),
        click.option(
            "--futility",
            type=click.Choice(FUTILITY_CHOICES),
            default="none",
            show_default=True,
            help="Beta-spending family for futility bounds.",
        ),
        click.option("--futility-gamma", type=float, default=-2.0, show_default=True),
        click.option("--futility-rho", type=float, default=2.0, show_default=True),
        click.option(
            "--binding/--non-binding",
            default=False,
            show_default=True,
            help="Whether the futility bounds are binding.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _build_design(opts: dict[str, Any]) -> Any:
    _check_prob(opts["alpha"], "--alpha")
    _check_prob(opts["beta"], "--beta")
    rates = _floats(opts["information_rates"], "--information-rates")
    # The statistics (scipy) are imported only once the options are known to be good: a bad
    # option is answered at once (tests/test_cli_import_time.py).
    from trialdesk.stats.design.boundaries import group_sequential_design

    try:
        # Information rates, when given, fix the number of looks.
        return group_sequential_design(
            opts["looks"] if rates is None else len(rates),
            alpha=opts["alpha"],
            beta=opts["beta"],
            sided=opts["sided"],
            spending=opts["spending"],
            gamma=opts["gamma"],
            rho=opts["rho"],
            information_rates=rates,
            futility=None if opts["futility"] == "none" else opts["futility"],
            futility_gamma=opts["futility_gamma"],
            futility_rho=opts["futility_rho"],
            binding=opts["binding"],
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error


def _format_design(summary: dict[str, Any]) -> str:
    lines = [
        (_("%(spending)s, 1-sided alpha %(alpha)s, power %(power)s") if summary["sided"] == 1
         else _("%(spending)s, 2-sided alpha %(alpha)s, power %(power)s")) % {
            "spending": summary["spending"], "alpha": number(summary["alpha"]),
            "power": number(1 - summary["beta"])},
    ]
    if "futility" in summary:
        kind = _("binding") if summary["binding"] else _("non-binding")
        lines.append(_("futility: %(futility)s beta spending (%(kind)s)")
                     % {"futility": summary["futility"], "kind": kind})
    columns = [(_("look"), 4), (_("info"), 7), (_("upper z"), 8), (_("nominal p"), 10),
               (_("cum alpha"), 10)]
    if "lower" in summary:
        columns += [(_("lower z"), 8), (_("cum beta"), 9)]
    columns += [("P(stop|H0)", 11), ("P(stop|H1)", 11)]
    widths = [max(width, len(title)) for title, width in columns]
    lines.append(" ".join(f"{title:>{width}}"
                          for (title, _least), width in zip(columns, widths, strict=True)))
    h0, h1 = summary["exit_probability_h0"], summary["exit_probability_h1"]
    for i, t in enumerate(summary["information_rates"]):
        cells = [str(i + 1), number(t, ".4f"), number(summary["upper"][i], ".4f"),
                 number(summary["nominal_p"][i], ".6f"),
                 number(summary["cumulative_alpha"][i], ".6f")]
        if "lower" in summary:
            cells += [number(summary["lower"][i], ".4f"),
                      number(summary["cumulative_beta"][i], ".5f")]
        cells += [number(h0["upper"][i] + h0["lower"][i], ".5f"),
                  number(h1["upper"][i] + h1["lower"][i], ".5f")]
        lines.append(" ".join(f"{cell:>{width}}"
                              for cell, width in zip(cells, widths, strict=True)))
    lines.append(
        _("inflation factor %(factor)s; expected sample size relative to the fixed design: "
          "H0 %(h0)s, H1 %(h1)s") % {
            "factor": number(summary["inflation_factor"], ".5f"),
            "h0": number(summary["expected_sample_size_ratio_h0"], ".4f"),
            "h1": number(summary["expected_sample_size_ratio_h1"], ".4f")}
    )
    return "\n".join(lines)


@command.command()
@_design_options
@click.option(
    "--effect",
    type=float,
    default=None,
    help="Effect the design is powered for (e.g. a risk difference): adds the bounds "
    "on the effect scale.",
)
@click.option(
    "--n-fixed",
    type=float,
    default=None,
    help="Fixed-design sample size: adds the maximum and expected sample sizes.",
)
@click.option(
    "--observed-rates",
    default=None,
    help="Information fractions observed so far: recompute the bounds at them.",
)
@click.option(
    "--final", is_flag=True, help="With --observed-rates: the last one is the final look."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def boundaries(
    effect: float | None,
    n_fixed: float | None,
    observed_rates: str | None,
    final: bool,
    as_json: bool,
    **opts: Any,
) -> None:
    """Group-sequential boundaries by recursive numerical integration (no Monte Carlo)."""
    design = _build_design(opts)
    observed = _floats(observed_rates, "--observed-rates")
    if observed:
        try:
            design = design.update(observed, final=final)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--observed-rates") from error
    summary = design.summary()
    if effect is not None:
        if effect == 0:
            raise click.BadParameter("must not be 0", param_hint="--effect")
        summary["effect_scale"] = design.effect_scale(effect).tolist()
    if n_fixed is not None:
        if n_fixed <= 0:
            raise click.BadParameter("must be > 0", param_hint="--n-fixed")
        summary["max_sample_size"] = design.max_sample_size(n_fixed)
        summary["expected_sample_size_h0"] = summary["expected_sample_size_ratio_h0"] * n_fixed
        summary["expected_sample_size_h1"] = summary["expected_sample_size_ratio_h1"] * n_fixed
    summary = _clean(summary)
    if as_json:
        _emit(summary)
        return
    click.echo(_format_design(summary))
    if "effect_scale" in summary:
        # a decimal comma cannot also separate the bounds
        bounds = ("; " if decimal_mark() == "," else ", ").join(
            number(v, ".4g") for v in summary["effect_scale"])
        click.echo(_("upper bounds on the effect scale (design effect %(effect)s): %(bounds)s")
                   % {"effect": number(effect), "bounds": bounds})
    if "max_sample_size" in summary:
        click.echo(
            _("sample size: maximum %(maximum)s, expected under H0 %(h0)s, under H1 %(h1)s "
              "(fixed design %(fixed)s)") % {
                "maximum": number(summary["max_sample_size"], ".1f"),
                "h0": number(summary["expected_sample_size_h0"], ".1f"),
                "h1": number(summary["expected_sample_size_h1"], ".1f"),
                "fixed": number(n_fixed)}
        )


# -- sample size --------------------------------------------------------------------------------


@command.group(name="sample-size")
def sample_size() -> None:
    """Sample size for proportions, survival (events) and means."""


def _common_size_options(f: Any) -> Any:
    options = [
        click.option("--alpha", type=float, default=0.05, show_default=True),
        click.option("--sided", type=click.IntRange(1, 2), default=2, show_default=True),
        click.option("--power", type=float, default=0.8, show_default=True),
        click.option(
            "--dropout",
            type=float,
            default=0.0,
            show_default=True,
            help="Fraction without a primary outcome; n is divided by (1 - dropout).",
        ),
        click.option(
            "--looks",
            type=click.IntRange(1, 50),
            default=1,
            show_default=True,
            help="Group-sequential looks (> 1 inflates by the design's factor).",
        ),
        click.option(
            "--spending",
            type=click.Choice(SPENDING_CHOICES),
            default="obf",
            show_default=True,
            help="Alpha spending of the group-sequential design.",
        ),
        click.option(
            "--futility", type=click.Choice(FUTILITY_CHOICES), default="none", show_default=True
        ),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _inflation(alpha: float, sided: int, power: float, looks: int, spending: str, futility: str):
    _check_prob(alpha, "--alpha")
    _check_prob(power, "--power")
    if looks == 1:
        return 1.0
    opts = {
        "alpha": alpha,
        "beta": 1 - power,
        "sided": sided,
        "spending": spending,
        "gamma": -4.0,
        "rho": 3.0,
        "information_rates": None,
        "futility": futility,
        "futility_gamma": -2.0,
        "futility_rho": 2.0,
        "binding": False,
        "looks": looks,
    }
    return float(_build_design(opts).inflation_factor)


def _show_size(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _emit(_clean(result))
        return
    labels = {key: _(SIZE_LABELS[key]) if key in SIZE_LABELS else key for key in result}
    width = max(22, *(len(label) for label in labels.values()))
    for key, value in result.items():
        text = number(value, ".6g") if isinstance(value, float) else str(value)
        click.echo(f"{labels[key]:>{width}}: {text}")


@sample_size.command()
@click.option("--p-control", type=float, required=True)
@click.option("--p-treatment", type=float, required=True)
@click.option("--continuity-correction", is_flag=True, help="Fleiss' continuity correction.")
@click.option(
    "--ratio", type=float, default=1.0, show_default=True, help="n_treatment / n_control."
)
@click.option("--fisher", is_flag=True, help="Size Fisher's exact test by exact power (1:1).")
@_common_size_options
def proportions(
    p_control: float,
    p_treatment: float,
    continuity_correction: bool,
    ratio: float,
    fisher: bool,
    alpha: float,
    sided: int,
    power: float,
    dropout: float,
    looks: int,
    spending: str,
    futility: str,
    as_json: bool,
) -> None:
    """Two proportions: normal approximation (Fleiss) or Fisher's exact test."""
    _check_prob(p_control, "--p-control")
    _check_prob(p_treatment, "--p-treatment")
    _check_prob(dropout, "--dropout", closed=True)
    if p_control == p_treatment:
        raise click.BadParameter("must differ from --p-control", param_hint="--p-treatment")
    if ratio <= 0:
        raise click.BadParameter("must be > 0", param_hint="--ratio")
    if fisher and (ratio != 1 or looks != 1):
        raise click.UsageError("--fisher sizes a single-look 1:1 design")
    factor = _inflation(alpha, sided, power, looks, spending, futility)
    from trialdesk.stats.design import proportions as prop

    if fisher:
        result = prop.fisher_sample_size(
            p_control, p_treatment, alpha=alpha, power=power, sided=sided, dropout=dropout
        )
    else:
        result = prop.proportions_sample_size(
            p_control,
            p_treatment,
            alpha=alpha,
            power=power,
            sided=sided,
            ratio=ratio,
            continuity_correction=continuity_correction,
            dropout=dropout,
            inflation_factor=factor,
        )
    _show_size(result.to_dict(), as_json)


@sample_size.command()
@click.option("--hazard-ratio", type=float, required=True)
@click.option(
    "--method",
    type=click.Choice(["schoenfeld", "freedman"]),
    default="schoenfeld",
    show_default=True,
)
@click.option(
    "--allocation",
    type=float,
    default=0.5,
    show_default=True,
    help="Fraction allocated to treatment.",
)
@click.option("--median-control", type=float, help="Control median survival (time units).")
@click.option("--accrual-time", type=float, help="Accrual period (same units).")
@click.option("--follow-up", type=float, help="Follow-up after the last entry (same units).")
@click.option("--dropout-hazard", type=float, default=0.0, show_default=True)
@_common_size_options
def survival(
    hazard_ratio: float,
    method: str,
    allocation: float,
    median_control: float | None,
    accrual_time: float | None,
    follow_up: float | None,
    dropout_hazard: float,
    alpha: float,
    sided: int,
    power: float,
    dropout: float,
    looks: int,
    spending: str,
    futility: str,
    as_json: bool,
) -> None:
    """Time to event: events (Schoenfeld or Freedman) and, with accrual, participants."""
    if hazard_ratio <= 0 or hazard_ratio == 1:
        raise click.BadParameter("must be positive and not 1", param_hint="--hazard-ratio")
    _check_prob(dropout, "--dropout", closed=True)
    given = [v is not None for v in (median_control, accrual_time, follow_up)]
    if any(given) and not all(given):
        raise click.UsageError("give --median-control, --accrual-time and --follow-up together")
    factor = _inflation(alpha, sided, power, looks, spending, futility)
    from trialdesk.stats.design.survival import survival_sample_size

    try:
        result = survival_sample_size(
            hazard_ratio,
            alpha=alpha,
            power=power,
            sided=sided,
            allocation=allocation,
            method=method,
            median_control=median_control,
            accrual_time=accrual_time,
            follow_up=follow_up,
            dropout_hazard=dropout_hazard,
            dropout=dropout,
            inflation_factor=factor,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    _show_size(result.to_dict(), as_json)


@sample_size.command()
@click.option("--delta", type=float, required=True, help="Difference in means.")
@click.option("--sd", type=float, default=1.0, show_default=True)
@click.option(
    "--type",
    "test_type",
    type=click.Choice(["two.sample", "one.sample", "paired"]),
    default="two.sample",
    show_default=True,
)
@_common_size_options
def means(
    delta: float,
    sd: float,
    test_type: str,
    alpha: float,
    sided: int,
    power: float,
    dropout: float,
    looks: int,
    spending: str,
    futility: str,
    as_json: bool,
) -> None:
    """Two means: t-test with the noncentral t (as R's power.t.test)."""
    if delta == 0:
        raise click.BadParameter("must not be 0", param_hint="--delta")
    if sd <= 0:
        raise click.BadParameter("must be > 0", param_hint="--sd")
    _check_prob(dropout, "--dropout", closed=True)
    factor = _inflation(alpha, sided, power, looks, spending, futility)
    from trialdesk.stats.design.means import means_sample_size

    result = means_sample_size(
        delta,
        sd=sd,
        alpha=alpha,
        power=power,
        sided=sided,
        test_type=test_type,
        dropout=dropout,
        inflation_factor=factor,
    )
    _show_size(result.to_dict(), as_json)


# -- simulation ---------------------------------------------------------------------------------


def _looks_text(spec: Any) -> str:
    if spec.event_looks is not None:
        return f"{', '.join(str(int(d)) for d in spec.event_looks)} events"
    return f"{', '.join(str(int(n)) for n in spec.participants)} participants"


def _format_simulation(spec: Any, rows: list[dict[str, Any]], seconds: float, sims: int) -> str:
    lines = [
        f"{spec.name}: {sims:,} simulated trials per scenario in {seconds:.2f} s",
        f"looks at {_looks_text(spec)}; upper z {', '.join(f'{b:.4f}' for b in spec.bounds.upper)}",
        "",
    ]
    for r in rows:
        lines.append(r["name"])
        lines.append(
            f"  P(reject)  simulated {r['rejection_probability']:.5f} "
            f"(se {r['standard_error']:.5f})"
        )
        if "exact" in r:
            lines.append(f"            exact     {r['exact']['rejection_probability']:.5f}")
        approx = r["normal_approximation"]["rejection_probability"]
        lines.append(f"            normal approximation {approx:.5f}")
        if "rejection_probability_ignoring_futility" in r:
            lines.append(
                "  P(reject) ignoring futility (non-binding type I error convention) "
                f"{r['rejection_probability_ignoring_futility']:.5f}"
            )
        stops = ", ".join(
            f"{u:.4f}/{lo:.4f}"
            for u, lo in zip(r["stop_upper_by_look"], r["stop_lower_by_look"], strict=True)
        )
        lines.append(f"  stop by look (efficacy/lower): {stops}")
        if "exact" in r:
            ex = ", ".join(
                f"{u:.4f}/{lo:.4f}"
                for u, lo in zip(r["exact"]["upper"], r["exact"]["lower"], strict=True)
            )
            lines.append(f"  exact by look:                 {ex}")
        what = "events" if spec.endpoint == "survival" else "n"
        line = f"  expected {what} analysed {r['expected_n_analysed']:.1f}"
        if "exact" in r:
            line += f" (exact {r['exact']['expected_n']:.1f})"
        line += f", enrolled {r['expected_n_enrolled']:.1f}"
        if "expected_duration_days" in r:
            line += f", duration {r['expected_duration_days']:.0f} days"
        lines.append(line)
    if not any("exact" in r for r in rows) and spec.endpoint == "binary":
        lines.append("(exact results need fixed arm sizes at every look and no dropout)")
    return "\n".join(lines)


@command.command()
@click.argument("spec_path", metavar="SPEC.toml", type=click.Path(exists=True, dir_okay=False))
@click.option("--sims", type=click.IntRange(1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=None, help="Overrides the SPEC's seed.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--cluster", "address", default=None,
              help="Run the chunks on the Dask scheduler at tcp://HOST:PORT (same results).")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a plot of rejection and stopping probabilities.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def simulate(
    spec_path: str,
    sims: int,
    seed: int | None,
    workers: int,
    address: str | None,
    plot_path: str | None,
    as_json: bool,
    progress: bool,
) -> None:
    """Simulate the operating characteristics of the design in SPEC.toml (see the docs of
    trialdesk.stats.design.spec for the format); exact results are shown where they apply."""
    import contextlib
    import time

    from .design_grid import ADDRESS, NEEDS_EXTRA

    if address is not None and not ADDRESS.match(address):
        raise click.BadParameter("expected a scheduler address tcp://HOST:PORT",
                                 param_hint="--cluster")
    if address is not None and workers > 1:
        raise click.BadParameter("give --cluster or --workers, not both", param_hint="--cluster")
    from trialdesk.stats.design.spec import SpecError, load_spec

    try:
        spec = load_spec(spec_path)
    except SpecError as error:
        raise click.BadParameter(str(error), param_hint="SPEC.toml") from error
    from trialdesk.stats.design.simulate import simulate as run

    cluster: Any = contextlib.nullcontext()
    if address is not None:
        try:
            import distributed  # noqa: F401
        except ImportError as error:
            raise click.ClickException(NEEDS_EXTRA) from error
        from trialdesk.stats.design.grid_dask import dask_client

        cluster = dask_client(address)
    start = time.perf_counter()
    try:
        with cluster as client:
            results = run(spec, sims, seed=seed, workers=workers, progress=progress,
                          client=client)
    except OSError as error:  # the scheduler cannot be reached (or went away)
        raise click.ClickException(f"--cluster {address}: {error}") from error
    seconds = time.perf_counter() - start
    rows = [_clean(r.to_dict(spec)) for r in results]
    if plot_path:
        _plot_simulation(rows, spec, plot_path)
    if as_json:
        out = {
            "name": spec.name,
            "sims": sims,
            "seed": spec.seed if seed is None else seed,
            "seconds": seconds,
            "participants": spec.participants.tolist(),
            "upper": spec.bounds.upper.tolist(),
            "scenarios": rows,
        }
        if spec.bounds.futility:
            out["lower"] = spec.bounds.lower.tolist()
        _emit(_clean(out))
    else:
        click.echo(_format_simulation(spec, rows, seconds, sims))


def _plot_simulation(rows: list[dict[str, Any]], spec: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    k = len(spec.participants)
    width = 0.8 / max(len(rows), 1)
    any_lower = any(sum(r["stop_lower_by_look"]) > 0 for r in rows)
    for i, r in enumerate(rows):
        x = np.arange(k) + i * width
        ax.bar(x, r["stop_upper_by_look"], width, label=f"{r['name']}: efficacy", color=f"C{i}")
        if any_lower:
            ax.bar(
                x,
                r["stop_lower_by_look"],
                width,
                bottom=r["stop_upper_by_look"],
                color=f"C{i}",
                alpha=0.35,
                label=f"{r['name']}: lower bound",
            )
        if "exact" in r:
            ax.plot(
                x, r["exact"]["upper"], "k_", ms=12, label="exact (enumeration)" if i == 0 else None
            )
    ax.set_xticks(np.arange(k) + 0.4 - width / 2)
    counts = spec.event_looks if spec.event_looks is not None else spec.participants
    unit = "d" if spec.event_looks is not None else "n"
    ax.set_xticklabels([f"look {j + 1}\n{unit}={n}" for j, n in enumerate(counts)])
    ax.set_ylabel("probability of stopping at this look")
    ax.set_title(spec.name, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- report -------------------------------------------------------------------------------------


@command.command()
@click.option(
    "--n-total", type=click.IntRange(4), default=40, show_default=True, help="Participants (1:1)."
)
@click.option(
    "--p-control",
    type=float,
    default=0.40,
    show_default=True,
    help="Control event proportion (28-day mortality).",
)
@click.option(
    "--p-treatment",
    "p_treatments",
    default="0.10,0.15,0.20,0.25,0.30",
    show_default=True,
    help="Treatment event proportions to report.",
)
@click.option(
    "--settings", default="0.05:2,0.10:1,0.20:1", show_default=True, help="alpha:sided pairs."
)
@click.option("--power", "target_power", type=float, default=0.8, show_default=True)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write power curves to this file (PNG, PDF or SVG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def report(
    n_total: int,
    p_control: float,
    p_treatments: str,
    settings: str,
    target_power: float,
    plot_path: str | None,
    as_json: bool,
) -> None:
    """What the trial can and cannot detect (default: 40 participants, control mortality 40%)."""
    if n_total % 2:
        raise click.BadParameter("must be even (1:1 allocation)", param_hint="--n-total")
    _check_prob(p_control, "--p-control")
    _check_prob(target_power, "--power")
    pts = _floats(p_treatments, "--p-treatment") or []
    pairs = []
    for item in settings.split(","):
        try:
            a, s = item.split(":")
            pairs.append((float(a), int(s)))
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: expected alpha:sided, e.g. 0.05:2", param_hint="--settings"
            ) from None
        if not 0 < pairs[-1][0] < 1 or pairs[-1][1] not in (1, 2):
            raise click.BadParameter(
                f"{item!r}: alpha in (0, 1), sided 1 or 2", param_hint="--settings"
            )
    from trialdesk.stats.design.report import format_table, plot_power, power_table

    try:
        table = power_table(n_total, p_control, pts, pairs, target_power)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--p-treatment") from error
    if plot_path:
        plot_power(table, plot_path)
    if as_json:
        _emit(_clean(table))
    else:
        click.echo(format_table(table))
        if plot_path:
            click.echo(f"plot written to {Path(plot_path)}")


# -- Bayesian monitoring ------------------------------------------------------------------------


@command.command()
@click.option(
    "--events", "x", type=click.IntRange(0), required=True, help="Responses (or events) so far."
)
@click.option("--n", type=click.IntRange(0), required=True, help="Participants so far.")
@click.option("--n-max", type=click.IntRange(1), required=True)
@click.option("--p0", type=float, required=True, help="Target rate for success.")
@click.option(
    "--theta-t",
    type=float,
    default=0.9,
    show_default=True,
    help="Posterior certainty that declares success at the end.",
)
@click.option("--prior", default="1,1", show_default=True, help="Beta prior a,b.")
@click.option(
    "--direction",
    type=click.Choice(["greater", "less"]),
    default="greater",
    show_default=True,
    help="Success means p > p0 (greater) or p < p0 (less).",
)
@click.option("--json", "as_json", is_flag=True)
def predictive(
    x: int,
    n: int,
    n_max: int,
    p0: float,
    theta_t: float,
    prior: str,
    direction: str,
    as_json: bool,
) -> None:
    """Posterior and predictive probability of success (Lee and Liu 2008), one arm."""
    ab = _floats(prior, "--prior") or []
    if len(ab) != 2 or min(ab) <= 0:
        raise click.BadParameter("expected two positive numbers a,b", param_hint="--prior")
    if x > n or n > n_max:
        raise click.UsageError("need --events <= --n <= --n-max")
    _check_prob(p0, "--p0")
    _check_prob(theta_t, "--theta-t")
    from trialdesk.stats.design.bayes import posterior_probability, predictive_probability

    post = float(posterior_probability(x, n, p0, a=ab[0], b=ab[1], direction=direction))
    pp = predictive_probability(x, n, n_max, p0, theta_t, a=ab[0], b=ab[1], direction=direction)
    out = {"posterior_probability": post, "predictive_probability": pp}
    if as_json:
        _emit(out)
    else:
        comparison = f"p {'>' if direction == 'greater' else '<'} {number(p0)}"
        click.echo(_("posterior P(%(comparison)s) = %(probability)s")
                   % {"comparison": comparison, "probability": number(post, ".4f")})
        click.echo(_("predictive probability of success at n = %(n)d: %(probability)s")
                   % {"n": n_max, "probability": number(pp, ".4f")})


# `design adaptive` lives in its own module (issue 23); importing it costs only click.
from .design_adaptive import adaptive  # noqa: E402

command.add_command(adaptive)

# `design bop2` (issue 23): Bayesian phase II monitoring of efficacy and toxicity together.
from .design_bop2 import bop2  # noqa: E402

command.add_command(bop2)

# `design grid` (a design search on Dask) lives in its own module too (issue 23).
from .design_grid import grid  # noqa: E402

command.add_command(grid)
