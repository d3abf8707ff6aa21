"""`trialdesk design bop2`: a BOP2 design (Zhou, Lee and Yuan 2017) monitoring efficacy and
toxicity together: calibrated lambda and gamma, the boundary table at each look, and the operating
characteristics under the null, the alternative and any other scenario.

The statistics (numpy, scipy) are imported only once the options have been checked, so that bad
options are answered at once (tests/test_cli_import_time.py).
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

import click


def _numbers(text: str | None, option: str, count: int | None = None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("expected numbers separated by commas",
                                 param_hint=option) from None
    if count is not None and len(values) != count:
        raise click.BadParameter(f"give {count} numbers", param_hint=option)
    return values


def _cells(text: str | None, option: str) -> tuple[float, ...] | None:
    values = _numbers(text, option, 4)
    if values is None:
        return None
    if min(values) < 0 or abs(sum(values) - 1) > 1e-6:
        raise click.BadParameter(
            "give four cell probabilities >= 0 summing to 1: efficacy & toxicity, efficacy & "
            "no toxicity, no efficacy & toxicity, neither", param_hint=option)
    return tuple(values)


def _check_options(o: dict[str, Any]) -> dict[str, Any]:
    """Validate before any statistics import; return the parsed values."""
    looks = _numbers(o["looks"], "--looks")
    if not looks or any(v != int(v) or v < 1 for v in looks) or any(
            b <= a for a, b in itertools.pairwise(looks)):
        raise click.BadParameter("give increasing whole cumulative sample sizes",
                                 param_hint="--looks")
    single = o["p0"] is not None or o["p1"] is not None
    joint = o["null_cells"] is not None or o["alt_cells"] is not None
    if single == joint:
        raise click.UsageError("give --p0 and --p1 (efficacy only) or --null-cells and "
                               "--alt-cells (efficacy and toxicity)")
    if single and not (o["p0"] is not None and o["p1"] is not None and 0 < o["p0"] < o["p1"] < 1):
        raise click.BadParameter("need 0 < --p0 < --p1 < 1", param_hint="--p1")
    null, alt = _cells(o["null_cells"], "--null-cells"), _cells(o["alt_cells"], "--alt-cells")
    if joint and (null is None or alt is None):
        raise click.UsageError("give both --null-cells and --alt-cells")
    if not 0 < o["alpha"] < 0.5:
        raise click.BadParameter("must lie strictly between 0 and 0.5", param_hint="--alpha")
    if (o["lam"] is None) != (o["gamma"] is None):
        raise click.UsageError("give both --lambda and --gamma, or neither (calibrate)")
    if o["lam"] is not None and not (0 < o["lam"] <= 1 and o["gamma"] >= 0):
        raise click.BadParameter("need 0 < lambda <= 1 and gamma >= 0", param_hint="--lambda")
    scenarios = [_cells(s, "--scenario") for s in o["scenario"]]
    interim = _numbers(o["interim"], "--interim", 3)
    if interim is not None and (any(v != int(v) for v in interim) or not (
            1 <= interim[0] <= looks[-1] and 0 <= interim[1] <= interim[0]
            and 0 <= interim[2] <= interim[0])):
        raise click.BadParameter("give N,EFFICACIES,TOXICITIES with counts between 0 and N <= "
                                 "the last look", param_hint="--interim")
    return {"looks": [int(v) for v in looks], "null": null, "alt": alt, "scenarios": scenarios,
            "interim": None if interim is None else [int(v) for v in interim]}


@click.command(name="bop2")
@click.option("--looks", required=True,
              help="Cumulative sample sizes at each look, e.g. 10,20,30,40.")
@click.option("--p0", type=float, default=None, help="Efficacy only: null response rate.")
@click.option("--p1", type=float, default=None, help="Efficacy only: alternative response rate.")
@click.option("--null-cells", default=None,
              help="Null cell probabilities EFF&TOX,EFF&NOTOX,NOEFF&TOX,NEITHER.")
@click.option("--alt-cells", default=None, help="Alternative cell probabilities (same order).")
@click.option("--alpha", type=float, default=0.1, show_default=True,
              help="Largest type I error (claiming promising under the null).")
@click.option("--prior-ess", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Prior effective sample size (Dirichlet centred on the null).")
@click.option("--lambda", "lam", type=float, default=None, help="Fix lambda (no calibration).")
@click.option("--gamma", type=float, default=None, help="Fix gamma (no calibration).")
@click.option("--scenario", multiple=True, help="More cell-probability scenarios (repeatable).")
@click.option("--oc-method", type=click.Choice(["auto", "exact", "simulation"]), default="auto",
              show_default=True, help="Operating characteristics: exact when small by default.")
@click.option("--sims", type=click.IntRange(1000), default=100_000, show_default=True)
@click.option("--seed", type=int, default=2017, show_default=True)
@click.option("--interim", default=None,
              help="Where a trial stands: N,EFFICACIES,TOXICITIES observed so far.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bop2(**o: Any) -> None:
    """BOP2 design (Zhou, Lee & Yuan 2017): go/no-go boundaries for efficacy and toxicity
    together, calibrated to a type I error, with operating characteristics."""
    parsed = _check_options(o)
    out = _compute(o, parsed)
    if o["as_json"]:
        click.echo(json.dumps(out))
    else:
        click.echo(_format(out))


def _compute(o: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    from trialdesk.stats.design import bop2 as core

    try:
        if parsed["null"] is None:
            problem = core.single_endpoint(parsed["looks"], o["p0"], o["p1"], o["prior_ess"])
        else:
            problem = core.Bop2Problem(tuple(parsed["looks"]), parsed["null"], parsed["alt"],
                                       prior_ess=o["prior_ess"])
        if o["lam"] is None:
            design = _calibrate_with_progress(core, problem, o["alpha"])
            lam, gamma, bounds = design.lam, design.gamma, design.bounds
        else:
            lam, gamma = o["lam"], o["gamma"]
            bounds = core.boundaries(problem, lam, gamma)
        stand = None
        if parsed["interim"] is not None:
            stand = core.where_trial_stands(problem, lam, gamma, *parsed["interim"])
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    kw = {"method": o["oc_method"], "sims": o["sims"], "seed": o["seed"]}
    scenarios = [("null", problem.null_cells), ("alternative", problem.alt_cells)]
    scenarios += [(f"scenario {i + 1}", s) for i, s in enumerate(parsed["scenarios"])]
    return {
        "looks": list(problem.looks), "phi_eff": problem.phi_eff, "phi_tox": problem.phi_tox,
        "prior_dirichlet": problem.dirichlet.tolist(), "alpha": o["alpha"],
        "calibrated": o["lam"] is None, "lambda": lam, "gamma": gamma,
        "boundaries": bounds.rows(),
        "oc": {name: core.operating_characteristics(bounds, cells, **kw).summary()
               for name, cells in scenarios},
        "interim": stand,
    }


def _calibrate_with_progress(core: Any, problem: Any, alpha: float) -> Any:
    """A progress bar on stderr for the longer searches (large N or many looks)."""
    if problem.n_max * len(problem.looks) < 500:
        return core.calibrate(problem, alpha)
    from tqdm import tqdm

    with tqdm(desc="calibrating lambda, gamma", unit="design", file=sys.stderr) as bar:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return core.calibrate(problem, alpha, progress=update)


def _format(out: dict[str, Any]) -> str:
    tox = out["phi_tox"] is not None
    head = (f"BOP2 design: phi_eff {out['phi_eff']:g}"
            + (f", phi_tox {out['phi_tox']:g}" if tox else " (efficacy only)")
            + f"; lambda {out['lambda']:g}, gamma {out['gamma']:g}"
            + (f" (calibrated to type I error <= {out['alpha']:g})" if out["calibrated"] else ""))
    lines = [head, f"{'n':>5} {'C(n)':>8} {'stop if #eff <=':>16}"
             + (f" {'stop if #tox >=':>16}" if tox else "")]
    for row in out["boundaries"]:
        a = row["stop_if_eff_at_most"]
        b = row["stop_if_tox_at_least"]
        lines.append(f"{row['n']:>5} {row['cutoff']:>8.4f} {a if a >= 0 else '-':>16}"
                     + (f" {b if b <= row['n'] else '-':>16}" if tox else ""))
    for name, oc in out["oc"].items():
        se = f" (SE {oc['standard_error']:.4f})" if oc["standard_error"] else ""
        lines.append(f"{name}: P(promising) {oc['p_promising']:.4f}{se}; P(early stop) "
                     f"{oc['p_early_stop']:.4f}; expected n {oc['expected_n']:.1f} "
                     f"[{oc['method']}]")
    it = out["interim"]
    if it is not None:
        verdict = [w for w, hit in (("stop for futility", it["stop_for_futility"]),
                                    ("stop for toxicity", it["stop_for_toxicity"])) if hit]
        lines.append(f"at n = {it['n']} ({it['efficacies']} efficacies, {it['toxicities']} "
                     f"toxicities): Pr(futile) {it['pr_futile']:.4f}"
                     + (f", Pr(toxic) {it['pr_toxic']:.4f}" if tox else "")
                     + f" against C(n) {it['cutoff']:.4f}: "
                     + (" and ".join(verdict) if verdict else "continue"))
    return "\n".join(lines)
