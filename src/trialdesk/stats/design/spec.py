"""The simulation SPEC file (TOML) read by ``trialdesk design simulate SPEC.toml``.

Format (every key but ``[[scenarios]]`` has a default; an example ships as
``trialdesk/stats/design/examples/three_look_obf.toml``)::

    name = "Three looks, O'Brien-Fleming-type spending, 83 per arm"
    seed = 20240611                  # optional; --seed overrides

    [design]
    endpoint = "binary"              # "binary" (event yes/no), "normal" (known sd) or
                                     # "survival" (exponential times, log-rank test)
    benefit = "lower"                # treatment helps by lowering ("lower", mortality) or raising
                                     # ("higher") the event proportion / mean; binary default
                                     # "lower", normal default "higher"
    n_per_arm = 83                   # maximum per arm at 1:1; or n_total = 166
    allocation = [1, 1]              # control : treatment
    randomization = "fixed"          # "fixed": exactly the allocation ratio at every look;
                                     # "simple": a coin per participant;
                                     # "block": permuted blocks of block_size;
                                     # or any list-based procedure of trialdesk.randomization
                                     # by name ("permuted-blocks", "efron", "big-stick",
                                     # "maximal", "complete"), with its parameters in
                                     # randomization_parameters = { block_sizes = [2, 4] }
    block_size = 4
    dropout = 0.0                    # probability that a participant's outcome is missing
    accrual_per_month = 10.0         # Poisson accrual rate (0: no durations are reported)
    followup_days = 28               # randomization to primary outcome
    information_rates = [0.3333333333, 0.6666666667, 1.0]
                                     # looks, as fractions of the maximum number randomized;
                                     # or participants = [55, 111, 166] (cumulative, randomized)

    [design.boundaries]              # computed by trialdesk.stats.design.boundaries at the
    spending = "obf"                 # realized fractions participants[k] / participants[-1]
    alpha = 0.025                    # (obf | pocock | hsd | kd | classical-pocock | classical-obf)
    sided = 1
    beta = 0.2
    # gamma = -4 / rho = 3           # for hsd / kd
    # futility = "obf"               # beta spending; futility_gamma, futility_rho; binding = false
    # upper = [3.71, 2.51, 1.99]     # or explicit z bounds (and lower = [...] for futility)

    [[scenarios]]                    # any number of these
    name = "no effect"
    p_control = 0.40                 # binary
    p_treatment = 0.40
    # mean_control = 0, mean_treatment = 0.5, sd = 1   (normal)
    # median_control = 12, hazard_ratio = 0.7          (survival; months)

Survival designs recruit ``n_total`` participants by Poisson accrual (``accrual_per_month`` is
required) and look when a fraction ``information_rates`` of ``events`` (the target number of
events at the final analysis) have been observed; an exponential dropout hazard
``dropout_hazard_per_month`` censors follow-up. The test is the log-rank test, its z positive when
the treatment arm has fewer events than expected (a hazard ratio below 1 is a benefit).

A look analyses the participants randomized up to that point (their outcomes are complete after
``followup_days``); with a positive accrual rate, the participants randomized while waiting for
those outcomes (the overrun) are counted in the enrolled sample size, and the duration is the
time of the last analysed participant's randomization plus the follow-up.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .boundaries import GroupSequentialDesign, group_sequential_design

DAYS_PER_MONTH = 30.4375
EXAMPLES = Path(__file__).resolve().parent / "examples"


class SpecError(ValueError):
    """A SPEC file breaks a rule; the message names the key."""


@dataclass(frozen=True)
class Scenario:
    name: str
    p_control: float = float("nan")
    p_treatment: float = float("nan")
    mean_control: float = 0.0
    mean_treatment: float = 0.0
    sd: float = 1.0
    median_control: float = float("nan")  # survival, months
    hazard_ratio: float = 1.0


@dataclass(frozen=True)
class Bounds:
    """The boundaries used by the simulation (z scale, large favours treatment)."""

    upper: NDArray[np.float64]
    lower: NDArray[np.float64]  # -inf where none; -upper for two-sided designs
    sided: int
    futility: bool
    design: GroupSequentialDesign | None = None


@dataclass(frozen=True)
class SimulationSpec:
    name: str
    endpoint: str
    benefit: str
    participants: NDArray[np.int64]  # cumulative randomized at each look
    allocation: tuple[int, int]
    randomization: str
    block_size: int
    dropout: float
    accrual_per_day: float
    followup_days: float
    bounds: Bounds
    scenarios: list[Scenario] = field(default_factory=list)
    seed: int | None = None
    procedure: Any = None  # a trialdesk.randomization SequenceProcedure, when one is named
    event_looks: NDArray[np.int64] | None = None  # survival: cumulative events at each look
    dropout_hazard_per_month: float = 0.0

    @property
    def information_rates(self) -> NDArray[np.float64]:
        """Information fractions of the looks (events for survival, participants otherwise)."""
        if self.event_looks is not None:
            return self.event_looks / self.event_looks[-1]
        return self.participants / self.participants[-1]

    @property
    def n_max(self) -> int:
        return int(self.participants[-1])

    @property
    def treatment_share(self) -> float:
        c, t = self.allocation
        return t / (c + t)

    def fixed_treatment_counts(self) -> NDArray[np.int64]:
        """Cumulative treatment count at each look under exact allocation."""
        return np.floor(self.participants * self.treatment_share + 0.5).astype(np.int64)

    def deterministic_arms(self) -> bool:
        """True when the per-arm sizes at every look are the same in every simulated trial."""
        if self.randomization == "fixed":
            return True
        if self.randomization == "block":
            c, t = self.allocation
            return bool(np.all(self.participants % self.block_size == 0)) and (
                self.block_size % (c + t) == 0
            )
        return False


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any, where: str
) -> Any:
    value = table.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise SpecError(f"{where}{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _bounds(table: dict[str, Any], t: NDArray) -> Bounds:
    w = "design.boundaries."
    sided = _get(table, "sided", int, 1, w)
    if sided not in (1, 2):
        raise SpecError(f"{w}sided must be 1 or 2")
    if "upper" in table:
        upper = np.asarray(table["upper"], dtype=float)
        if upper.size != t.size:
            raise SpecError(f"{w}upper needs one bound per look ({t.size})")
        futility = "lower" in table
        lower = (
            np.asarray(table["lower"], dtype=float)
            if futility
            else (-upper if sided == 2 else np.full(t.size, -np.inf))
        )
        if lower.size != t.size:
            raise SpecError(f"{w}lower needs one bound per look ({t.size})")
        return Bounds(upper, lower, sided, futility)
    try:
        design = group_sequential_design(
            t.size,
            information_rates=t,
            alpha=float(_get(table, "alpha", (int, float), 0.025, w)),
            beta=float(_get(table, "beta", (int, float), 0.2, w)),
            sided=sided,
            spending=_get(table, "spending", str, "obf", w),
            gamma=float(_get(table, "gamma", (int, float), -4.0, w)),
            rho=float(_get(table, "rho", (int, float), 3.0, w)),
            futility=_get(table, "futility", str, None, w),
            futility_gamma=float(_get(table, "futility_gamma", (int, float), -2.0, w)),
            futility_rho=float(_get(table, "futility_rho", (int, float), 2.0, w)),
            binding=bool(_get(table, "binding", bool, False, w)),
        )
    except ValueError as error:
        raise SpecError(f"{w[:-1]}: {error}") from error
    return Bounds(design.upper, design.lower, sided, design.has_futility, design)


def parse_spec(data: dict[str, Any]) -> SimulationSpec:
    """Validate a SPEC dictionary (as read from TOML)."""
    d = data.get("design", {})
    if not isinstance(d, dict):
        raise SpecError("design: expected a table")
    w = "design."
    endpoint = _get(d, "endpoint", str, "binary", w)
    if endpoint not in ("binary", "normal", "survival"):
        raise SpecError("design.endpoint must be 'binary', 'normal' or 'survival'")
    benefit = _get(d, "benefit", str, "higher" if endpoint == "normal" else "lower", w)
    if endpoint == "survival" and benefit != "lower":
        raise SpecError("design.benefit: survival designs test for a lower hazard on treatment")
    if benefit not in ("lower", "higher"):
        raise SpecError("design.benefit must be 'lower' or 'higher'")
    allocation = tuple(_get(d, "allocation", list, [1, 1], w))
    if len(allocation) != 2 or not all(isinstance(a, int) and a > 0 for a in allocation):
        raise SpecError("design.allocation must be two positive integers [control, treatment]")
    if "n_total" in d:
        n_total = _get(d, "n_total", int, None, w)
    elif "n_per_arm" in d:
        n_total = 2 * _get(d, "n_per_arm", int, None, w)
        if allocation[0] != allocation[1]:
            raise SpecError("design.n_per_arm needs 1:1 allocation; give design.n_total")
    elif "participants" in d:
        n_total = None
    else:
        raise SpecError("design: give n_total, n_per_arm or participants")
    event_looks = None
    if endpoint == "survival":
        if n_total is None:
            raise SpecError("design: survival designs need n_total (participants recruited)")
        events = _get(d, "events", int, None, w)
        if events is None or not 2 <= events <= n_total:
            raise SpecError("design.events: the target number of events, 2..n_total")
        rates = np.asarray(_get(d, "information_rates", list, [1.0], w), dtype=float)
        if not math.isclose(rates[-1], 1.0, abs_tol=1e-6):
            raise SpecError("design.information_rates must end at 1")
        event_looks = np.rint(rates * events).astype(np.int64)
        if event_looks[0] < 1 or np.any(np.diff(event_looks) <= 0):
            raise SpecError("design.information_rates must give increasing event counts >= 1")
        participants = np.full(event_looks.size, n_total, dtype=np.int64)
    elif "participants" in d or n_total is None:
        participants = np.asarray(_get(d, "participants", list, None, w), dtype=np.int64)
        if n_total is not None and participants[-1] != n_total:
            raise SpecError("design.participants must end at n_total")
    else:
        rates = np.asarray(_get(d, "information_rates", list, [1.0], w), dtype=float)
        if not math.isclose(rates[-1], 1.0, abs_tol=1e-6):
            raise SpecError("design.information_rates must end at 1")
        participants = np.rint(rates * n_total).astype(np.int64)
    if endpoint != "survival" and (
        participants.size == 0 or participants[0] < 2 or np.any(np.diff(participants) <= 0)
    ):
        raise SpecError("design looks must be increasing numbers of participants, at least 2")
    randomization = _get(d, "randomization", str, "fixed", w)
    procedure = None
    if randomization not in ("fixed", "simple", "block"):
        procedure = _procedure(randomization, allocation, d)
    block_size = _get(d, "block_size", int, 4, w)
    if randomization == "block" and block_size % sum(allocation):
        raise SpecError("design.block_size must be a multiple of the allocation total")
    dropout = float(_get(d, "dropout", (int, float), 0.0, w))
    if not 0 <= dropout < 1:
        raise SpecError("design.dropout must lie in [0, 1)")
    accrual = float(_get(d, "accrual_per_month", (int, float), 0.0, w))
    followup = float(_get(d, "followup_days", (int, float), 28.0, w))
    if accrual < 0 or followup < 0:
        raise SpecError("design.accrual_per_month and design.followup_days must be >= 0")
    dropout_hazard = float(_get(d, "dropout_hazard_per_month", (int, float), 0.0, w))
    if dropout_hazard < 0:
        raise SpecError("design.dropout_hazard_per_month must be >= 0")
    if endpoint == "survival" and accrual <= 0:
        raise SpecError("design.accrual_per_month: survival designs need an accrual rate")
    t = (
        event_looks / event_looks[-1]
        if event_looks is not None
        else participants / participants[-1]
    )
    bounds = _bounds(d.get("boundaries", {}), t)
    scenarios = []
    raw = data.get("scenarios", [])
    if not raw:
        raise SpecError("scenarios: give at least one [[scenarios]] table")
    for i, s in enumerate(raw):
        sw = f"scenarios[{i}]."
        name = _get(s, "name", str, f"scenario {i + 1}", sw)
        if endpoint == "binary":
            pc = _get(s, "p_control", (int, float), None, sw)
            pt = _get(s, "p_treatment", (int, float), None, sw)
            if pc is None or pt is None or not (0 <= pc <= 1 and 0 <= pt <= 1):
                raise SpecError(f"{sw}p_control and p_treatment must be given, in [0, 1]")
            scenarios.append(Scenario(name, p_control=float(pc), p_treatment=float(pt)))
        elif endpoint == "survival":
            median = _get(s, "median_control", (int, float), None, sw)
            hr = _get(s, "hazard_ratio", (int, float), None, sw)
            if median is None or hr is None or median <= 0 or hr <= 0:
                raise SpecError(f"{sw}median_control and hazard_ratio must be given, > 0")
            scenarios.append(Scenario(name, median_control=float(median), hazard_ratio=float(hr)))
        else:
            sd = float(_get(s, "sd", (int, float), 1.0, sw))
            if sd <= 0:
                raise SpecError(f"{sw}sd must be > 0")
            scenarios.append(
                Scenario(
                    name,
                    mean_control=float(_get(s, "mean_control", (int, float), 0.0, sw)),
                    mean_treatment=float(_get(s, "mean_treatment", (int, float), 0.0, sw)),
                    sd=sd,
                )
            )
    seed = _get(data, "seed", int, None, "")
    return SimulationSpec(
        name=_get(data, "name", str, "simulation", ""),
        endpoint=endpoint,
        benefit=benefit,
        participants=participants,
        allocation=(int(allocation[0]), int(allocation[1])),
        randomization=randomization,
        block_size=block_size,
        dropout=dropout,
        accrual_per_day=accrual / DAYS_PER_MONTH,
        followup_days=followup,
        bounds=bounds,
        scenarios=scenarios,
        seed=seed,
        procedure=procedure,
        event_looks=event_looks,
        dropout_hazard_per_month=dropout_hazard,
    )


def _procedure(name: str, allocation: tuple[int, ...], d: dict[str, Any]) -> Any:
    """Instantiate a list-based procedure of :mod:`trialdesk.randomization` by name."""
    from trialdesk import randomization

    params = _get(d, "randomization_parameters", dict, {}, "design.")
    try:
        proc = randomization.get_procedure(name, ratio=allocation, **params)
    except randomization.ProcedureError as error:
        raise SpecError(f"design.randomization: {error}") from error
    except TypeError as error:
        raise SpecError(f"design.randomization_parameters: {error}") from error
    if not isinstance(proc, randomization.SequenceProcedure):
        raise SpecError(
            f"design.randomization: {name!r} allocates at randomization time (dynamic); "
            "simulate it with a list-based procedure"
        )
    return proc


def load_spec(path: str | Path) -> SimulationSpec:
    """Read and validate a SPEC file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from error
    return parse_spec(data)
