"""`trialdesk design adaptive`: an adaptive design's boundaries, conditional power at an interim,
the re-estimated sample size, and its operating characteristics.

The statistics (numpy, scipy) are imported only once the options have been checked, so that bad
options are answered at once (tests/test_cli_import_time.py).
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

KINDS = ["classical-obf", "classical-pocock", "obf", "pocock", "hsd", "kd"]
FISHER_METHODS = ["equalAlpha", "fullAlpha"]


def _floats(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(
            "expected numbers separated by commas", param_hint=option
        ) from None


def _clean(obj: Any) -> Any:
    """Strict JSON: infinities (no bound) become null."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _check_options(o: dict[str, Any]) -> dict[str, Any]:
    """Validate before any statistics import; return the parsed lists."""
    if not 0 < o["alpha"] < 0.5:
        raise click.BadParameter("must lie strictly between 0 and 0.5", param_hint="--alpha")
    rates = _floats(o["information_rates"], "--information-rates")
    if rates is not None and len(rates) != o["stages"]:
        raise click.BadParameter(f"give {o['stages']} rates", param_hint="--information-rates")
    stage_n = _floats(o["stage_n"], "--stage-n")
    if stage_n is not None and (len(stage_n) != o["stages"] or min(stage_n) <= 0):
        raise click.BadParameter(
            f"give {o['stages']} positive stage sizes", param_hint="--stage-n"
        )
    interim = _floats(o["interim_z"], "--interim-z")
    if interim is not None:
        if not 1 <= len(interim) < o["stages"]:
            raise click.BadParameter(
                "give the stage-wise z of the stages done (fewer than all)",
                param_hint="--interim-z",
            )
        if stage_n is None and o["test"] == "inverse-normal":
            raise click.BadParameter("an interim needs --stage-n", param_hint="--interim-z")
    rates_pair = _floats(o["rates"], "--rates")
    if rates_pair is not None and (
        len(rates_pair) != 2 or not all(0 < p < 1 for p in rates_pair)
    ):
        raise click.BadParameter(
            "give two rates in (0, 1): treatment,control", param_hint="--rates"
        )
    if o["effect"] is not None and o["rates"] is not None:
        raise click.BadParameter("give --effect or --rates, not both", param_hint="--rates")
    if o["sd"] <= 0:
        raise click.BadParameter("must be positive", param_hint="--sd")
    if not 0 < o["target_cp"] < 1:
        raise click.BadParameter("must lie strictly between 0 and 1", param_hint="--target-cp")
    promising = _floats(o["promising"], "--promising")
    if promising is not None and (
        len(promising) != 2 or not 0 <= promising[0] < promising[1] <= 1
    ):
        raise click.BadParameter(
            "give LOW,HIGH with 0 <= LOW < HIGH <= 1", param_hint="--promising"
        )
    if o["oc"] and (stage_n is None or (o["effect"] is None and rates_pair is None)):
        raise click.BadParameter("--oc needs --stage-n and --effect or --rates", param_hint="--oc")
    return {"rates": rates, "stage_n": stage_n, "interim": interim, "pair": rates_pair,
            "promising": promising}


@click.command(name="adaptive")
@click.option("--test", type=click.Choice(["inverse-normal", "fisher"]), default="inverse-normal",
              show_default=True, help="Combination test.")
@click.option("--stages", type=click.IntRange(2, 3), default=2, show_default=True)
@click.option("--alpha", type=float, default=0.025, show_default=True, help="One-sided.")
@click.option("--kind", type=click.Choice(KINDS), default="classical-obf", show_default=True,
              help="Inverse normal: the group-sequential boundaries used as critical values.")
@click.option("--information-rates", default=None, help="Comma-separated, ending at 1.")
@click.option("--alpha0", type=float, default=1.0, show_default=True,
              help="Fisher: stop for futility when a stage p-value exceeds this.")
@click.option("--fisher-method", type=click.Choice(FISHER_METHODS), default="equalAlpha",
              show_default=True)
@click.option("--stage-n", default=None, help="Planned new patients per stage (both arms).")
@click.option("--interim-z", default=None, help="Stage-wise z-statistics of the stages done.")
@click.option("--effect", type=float, default=None, help="Planned difference of means.")
@click.option("--sd", type=float, default=1.0, show_default=True, help="Standard deviation.")
@click.option("--rates", default=None, help="Planned rates TREATMENT,CONTROL (binary endpoint).")
@click.option("--allocation-ratio", type=click.FloatRange(min=0.01), default=1.0,
              show_default=True)
@click.option("--target-cp", type=float, default=0.8, show_default=True,
              help="Conditional power the re-estimated stage aims at.")
@click.option("--n-min", type=click.FloatRange(min=1), default=None,
              help="Smallest re-estimated stage (default: as planned).")
@click.option("--n-max", type=click.FloatRange(min=1), default=None,
              help="Cap on a re-estimated stage (default: as planned, no re-estimation).")
@click.option("--use-planned-effect", is_flag=True,
              help="Re-estimate under the planned effect (default: the observed one).")
@click.option("--promising", default=None, help="Promising zone LOW,HIGH of interim CP.")
@click.option("--oc", is_flag=True, help="Operating characteristics under H0 and the effect.")
@click.option("--sims", type=click.IntRange(1000), default=100_000, show_default=True,
              help="Simulated trials: three-stage operating characteristics, and Fisher's "
              "conditional power with two stages left.")
@click.option("--seed", type=int, default=2011, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def adaptive(**o: Any) -> None:
    """Two- and three-stage adaptive designs (inverse normal, Fisher): boundaries, conditional
    power at an interim, re-estimated sample size, operating characteristics."""
    parsed = _check_options(o)
    out = _compute(o, parsed)
    if o["as_json"]:
        click.echo(json.dumps(_clean(out)))
    else:
        click.echo(_format(out))


def _compute(o: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    from trialdesk.stats.design import combination, conditional_power, ssr, ssr_fisher

    try:
        if o["test"] == "fisher":
            design = combination.fisher_design(
                o["stages"], alpha=o["alpha"], alpha0=o["alpha0"],
                information_rates=parsed["rates"], method=o["fisher_method"],
            )
        else:
            design = combination.inverse_normal_design(
                o["stages"], alpha=o["alpha"], kind=o["kind"],
                information_rates=parsed["rates"],
            )
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    out: dict[str, Any] = {"design": design.summary()}
    theta = None
    if parsed["pair"] is not None:
        theta = conditional_power.theta_rates(*parsed["pair"], o["allocation_ratio"])
    elif o["effect"] is not None:
        theta = conditional_power.theta_means(o["effect"], o["sd"], o["allocation_ratio"])
    out["theta"] = theta
    z = parsed["interim"]
    n = parsed["stage_n"]
    if z is not None and o["test"] == "fisher":
        try:
            out["interim"] = _fisher_interim(o, parsed, design, theta)
        except ValueError as refused:  # a z so large that its p-value is 0 in floating point
            raise click.BadParameter(f"{refused} (from the z values given)",
                                     param_hint="--interim-z") from refused
    elif z is not None:
        k = len(z)
        remaining = n[k:]
        interim: dict[str, Any] = {
            "stage_z": z,
            "combination_z": design.combination_z(z).tolist(),
            "decision": design.decision(z),
            "theta_observed": conditional_power.observed_theta(z, n),
            "cp_observed": conditional_power.conditional_power_observed(design, z, n, remaining),
        }
        if theta is not None:
            interim["cp_planned"] = conditional_power.conditional_power(design, z, remaining, theta)
        rule = _rule(o, parsed, theta)
        interim["next_stage_n_planned"] = n[k]
        interim["next_stage_n"] = ssr.next_size(design, rule, z)
        out["interim"] = interim
    if o["oc"]:
        rule = _rule(o, parsed, theta)
        out["oc"] = {}
        fisher = o["test"] == "fisher"
        integration = ssr_fisher.oc_integration_fisher if fisher else ssr.oc_integration
        simulation = ssr_fisher.oc_simulation_fisher if fisher else ssr.oc_simulation
        for name, th in (("H0", 0.0), ("H1", theta)):
            if o["stages"] == 2:
                res = integration(design, rule, th)
                method = "integration"
            else:
                res = simulation(design, rule, th, sims=o["sims"], seed=o["seed"])
                method = _simulated(o)
            out["oc"][name] = {**res.summary(), "method": method}
    return out


def _simulated(o: dict[str, Any]) -> str:
    return f"simulation ({o['sims']} trials, seed {o['seed']})"


def _fisher_interim(o: dict[str, Any], parsed: dict[str, Any], design: Any,
                    theta: float | None) -> dict[str, Any]:
    """The interim of a Fisher design: its decision, and with the stage sizes its conditional
    power (exact with one stage left, simulated with two) and the re-estimated next stage."""
    from trialdesk.stats.design import conditional_power, conditional_power_fisher, ssr_fisher

    z, n = parsed["interim"], parsed["stage_n"]
    p = conditional_power_fisher.p_from_z(z).tolist()
    out: dict[str, Any] = {"stage_z": z, "p_values": p,
                           "combination": design.combination(p).tolist(),
                           "decision": design.decision(p)}
    if n is None:
        return out
    k = len(z)
    remaining = n[k:]
    sim = {"sims": o["sims"], "seed": o["seed"]}
    theta_hat = conditional_power.observed_theta(z, n)
    observed = conditional_power_fisher.conditional_power_fisher(
        design, p, remaining, theta_hat, **sim)
    out["theta_observed"] = theta_hat
    out["next_stage_p_threshold"] = conditional_power_fisher.next_stage_threshold(design, p)
    out["cp_observed"] = observed.value
    out["cp_method"] = "exact" if observed.method == "exact" else _simulated(o)
    if theta is not None:
        out["cp_planned"] = conditional_power_fisher.conditional_power_fisher(
            design, p, remaining, theta, **sim).value
    out["next_stage_n_planned"] = n[k]
    out["next_stage_n"] = ssr_fisher.next_size_fisher(design, _rule(o, parsed, theta), p)
    return out


def _rule(o: dict[str, Any], parsed: dict[str, Any], theta: float | None) -> Any:
    from trialdesk.stats.design.ssr import SampleSizeRule

    if o["use_planned_effect"] and theta is None:
        raise click.BadParameter("needs --effect or --rates", param_hint="--use-planned-effect")
    try:
        return SampleSizeRule(
            tuple(parsed["stage_n"]),
            target=o["target_cp"],
            n_min=o["n_min"],
            n_max=o["n_max"],
            theta=theta if o["use_planned_effect"] else None,
            promising=tuple(parsed["promising"]) if parsed["promising"] else None,
        )
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


def _format(out: dict[str, Any]) -> str:
    d = out["design"]
    lines = [f"{d['test']} combination test, one-sided alpha {d['alpha']:g}"
             + (f" ({d['kind']} boundaries)" if "kind" in d else f" ({d['method']})")]
    value = "critical z" if d["test"] == "inverse-normal" else "critical product"
    lines.append(f"{'stage':>5} {'info':>7} {'weight':>8} {value:>16} {'stage level':>12} "
                 f"{'cum alpha':>10}")
    for i, t in enumerate(d["information_rates"]):
        lines.append(f"{i + 1:>5} {t:>7.4f} {d['weights'][i]:>8.4f} "
                     f"{d['critical_values'][i]:>16.8g} {d['stage_levels'][i]:>12.8f} "
                     f"{d['alpha_spent'][i]:>10.8f}")
    if "interim" in out:
        it = out["interim"]
        lines.append(f"interim after stage {len(it['stage_z'])}: decision {it['decision']}")
        if "p_values" in it:
            lines.append(f"  stage-wise p {', '.join(f'{p:.6g}' for p in it['p_values'])}; "
                         f"weighted product {it['combination'][-1]:.6g}")
        if "cp_observed" in it:
            combined = (f"combination z {it['combination_z'][-1]:.4f}" if "combination_z" in it
                        else f"next stage rejects for p <= {it['next_stage_p_threshold']:.6g}")
            lines.append(f"  {combined}; observed effect "
                         f"{it['theta_observed']:.5f} per patient (standardized)")
            method = f" [{it['cp_method']}]" if "cp_method" in it else ""
            lines.append(f"  conditional power, observed effect: {it['cp_observed']:.4f}{method}")
            if "cp_planned" in it:
                lines.append(f"  conditional power, planned effect:  {it['cp_planned']:.4f}")
            lines.append(f"  next stage: {it['next_stage_n']:.1f} patients "
                         f"(planned {it['next_stage_n_planned']:g})")
    if "oc" in out:
        for name, res in out["oc"].items():
            stages = ", ".join(f"{p:.4f}" for p in res["reject_per_stage"])
            lines.append(f"{name}: power {res['power']:.4f} (by stage {stages}); expected n "
                         f"{res['expected_n']:.1f}; P(stage enlarged) {res['p_increase']:.4f} "
                         f"[{res['method']}]")
    return "\n".join(lines)
