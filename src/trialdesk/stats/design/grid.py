"""Scenario grids for design searches: effects x sample sizes x boundaries (issue 23).

A GRID file (TOML) is a SPEC file (see :mod:`.spec`) whose sample size, boundaries and scenarios
become axes; every combination is one *cell*, simulated like ``trialdesk design simulate``::

    name = "Mortality: sizes x spending"
    seed = 20261203                  # root of the seed tree (--seed overrides)
    sims = 10000                     # simulated trials per cell (--sims overrides)
    chunk = 5000                     # trials per random stream: part of the seed tree

    [design]                         # as in a SPEC file, without the sample size
    endpoint = "binary"
    information_rates = [0.5, 1.0]

    [grid]
    n_total = [100, 150, 200]        # or n_per_arm = [...]; absent: the design's own size

    [[boundaries]]                   # absent: the design's [design.boundaries]
    name = "OBF"                     # the rest as in [design.boundaries]
    spending = "obf"

    [[effects]]                      # as [[scenarios]] in a SPEC file
    name = "null"
    p_control = 0.4
    p_treatment = 0.4

The seed tree: ``SeedSequence(seed).spawn(cells)`` gives each cell a child from which a 63-bit
integer seed is drawn; the cell is then simulated exactly as :func:`.simulate.simulate` does with
that seed (one scenario: ``SeedSequence(cell_seed).spawn(1)[0].spawn(chunks)``, one stream per
chunk of ``chunk`` trials), and its chunk tallies are added in chunk order. So a cell's results do
not depend on how many workers ran it or how chunks were grouped into tasks, and any row can be
re-run alone with ``trialdesk design simulate`` and the row's ``seed``. This module is plain
Python; the Dask runner is :mod:`.grid_dask`.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .simulate import ScenarioResult, Tally, exact_oc, normal_approximation, simulate_chunk
from .spec import SimulationSpec, SpecError, parse_spec

TOP_KEYS = {"name", "seed", "sims", "chunk", "design", "grid", "boundaries", "effects"}
GRID_KEYS = {"n_total", "n_per_arm"}
DEFAULT_SIMS = 10_000
DEFAULT_CHUNK = 10_000


class GridError(SpecError):
    """A GRID file breaks a rule; the message names the key."""


@dataclass(frozen=True)
class Cell:
    """One scenario of the grid: a single-scenario spec and its seed."""

    index: int
    effect: str
    size_key: str  # "n_total" or "n_per_arm" ("" when the design's own size is used)
    size: int
    boundary: str
    spec: SimulationSpec
    seed: int


@dataclass(frozen=True)
class Grid:
    name: str
    seed: int
    sims: int
    chunk: int
    cells: list[Cell]

    @property
    def chunk_sizes(self) -> list[int]:
        """Trials in each chunk of a cell (the last one may be short)."""
        full, rest = divmod(self.sims, self.chunk)
        return [self.chunk] * full + ([rest] if rest else [])


@dataclass(frozen=True)
class Task:
    """Consecutive chunks of one cell: the unit of work sent to a worker."""

    cell: int
    first_chunk: int
    spec: SimulationSpec
    sizes: tuple[int, ...]
    seeds: tuple[np.random.SeedSequence, ...]
    with_reference: bool  # also compute the exact and normal-approximation results


@dataclass
class TaskResult:
    cell: int
    first_chunk: int
    tallies: list[Tally]
    exact: Any = None
    normal_approximation: Any = None


def _int_list(value: Any, key: str) -> list[int]:
    if not isinstance(value, list) or not value:
        raise GridError(f"{key}: expected a non-empty list of integers")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise GridError(f"{key}: every entry must be a positive integer")
    if len(set(value)) != len(value):
        raise GridError(f"{key}: entries must be distinct")
    return value


def _named_tables(value: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise GridError(f"{key}: expected one or more [[{key}]] tables")
    names = [str(t.get("name", f"{key} {i + 1}")) for i, t in enumerate(value)]
    if len(set(names)) != len(names):
        raise GridError(f"{key}: names must be distinct")
    return value


def _positive_int(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise GridError(f"{key}: expected a positive integer, got {value!r}")
    return value


def cell_seed(child: np.random.SeedSequence) -> int:
    """The cell's integer seed (63 bits, so that a TOML file or ``--seed`` can hold it)."""
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def parse_grid(data: dict[str, Any], *, seed: int | None = None, sims: int | None = None) -> Grid:
    """Validate a GRID dictionary (as read from TOML) and build its cells."""
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        expected = ", ".join(sorted(TOP_KEYS))
        raise GridError(f"{unknown[0]}: unknown key (expected one of {expected})")
    if "scenarios" in data:
        raise GridError("scenarios: a GRID file names its scenarios [[effects]]")
    design = data.get("design", {})
    if not isinstance(design, dict):
        raise GridError("design: expected a table")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise GridError("grid: expected a table")
    extra = sorted(set(grid) - GRID_KEYS)
    if extra:
        raise GridError(f"grid.{extra[0]}: unknown key (expected n_total or n_per_arm)")
    if len(grid) > 1:
        raise GridError("grid: give n_total or n_per_arm, not both")
    effects = _named_tables(data.get("effects"), "effects")
    boundaries = (
        _named_tables(data["boundaries"], "boundaries")
        if "boundaries" in data
        else [{"name": "design", **design.get("boundaries", {})}]
    )
    if "boundaries" in data and "boundaries" in design:
        raise GridError("boundaries: give [[boundaries]] or [design.boundaries], not both")
    if grid:
        size_key = next(iter(grid))
        sizes = _int_list(grid[size_key], f"grid.{size_key}")
    else:
        size_key, sizes = "", [0]
    root_seed = data.get("seed", 0) if seed is None else seed
    if not isinstance(root_seed, int) or isinstance(root_seed, bool) or root_seed < 0:
        raise GridError(f"seed: expected a non-negative integer, got {root_seed!r}")
    n_sims = _positive_int(data, "sims", DEFAULT_SIMS) if sims is None else sims
    chunk = _positive_int(data, "chunk", DEFAULT_CHUNK)
    base = {k: v for k, v in design.items() if k != "boundaries"}
    if size_key:
        for key in ("n_total", "n_per_arm", "participants"):
            if key in base:
                raise GridError(f"design.{key}: the sample size is the grid.{size_key} axis")
    n_cells = len(effects) * len(sizes) * len(boundaries)
    children = np.random.SeedSequence(root_seed).spawn(n_cells)
    cells: list[Cell] = []
    for j, size in enumerate(sizes):
        for b, bound in enumerate(boundaries):
            d = copy.deepcopy(base)
            if size_key:
                d[size_key] = size
            d["boundaries"] = {k: v for k, v in bound.items() if k != "name"}
            where = f"grid.{size_key}[{j}] = {size}, boundaries[{b}]: " if size_key else ""
            try:
                spec = parse_spec({"name": data.get("name", "grid"), "design": d,
                                   "scenarios": effects})
            except SpecError as error:
                message = str(error).replace("scenarios[", "effects[")
                if "boundaries" in data:
                    message = message.replace("design.boundaries", f"boundaries[{b}]")
                raise GridError(where + message) from error
            for scenario in spec.scenarios:
                index = len(cells)
                cells.append(
                    Cell(
                        index=index,
                        effect=scenario.name,
                        size_key=size_key,
                        size=size if size_key else spec.n_max,
                        boundary=str(bound.get("name", f"boundaries {b + 1}")),
                        spec=replace(spec, scenarios=[scenario], seed=None),
                        seed=cell_seed(children[index]),
                    )
                )
    return Grid(str(data.get("name", "grid")), root_seed, n_sims, chunk, cells)


def load_grid(path: str | Path, *, seed: int | None = None, sims: int | None = None) -> Grid:
    """Read and validate a GRID file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise GridError(f"{path}: not valid TOML: {error}") from error
    return parse_grid(data, seed=seed, sims=sims)


def tasks(grid: Grid, chunks_per_task: int = 1) -> Iterator[Task]:
    """The grid's work, ``chunks_per_task`` consecutive chunks of one cell at a time."""
    if chunks_per_task < 1:
        raise ValueError("chunks_per_task must be >= 1")
    sizes = grid.chunk_sizes
    for cell in grid.cells:
        # The same tree as simulate(): SeedSequence(seed) -> one scenario -> one stream per chunk.
        streams = np.random.SeedSequence(cell.seed).spawn(1)[0].spawn(len(sizes))
        for first in range(0, len(sizes), chunks_per_task):
            last = first + chunks_per_task
            yield Task(cell.index, first, cell.spec, tuple(sizes[first:last]),
                       tuple(streams[first:last]), with_reference=first == 0)


def run_task(task: Task) -> TaskResult:
    """Simulate one task's chunks (runs on a worker; plain Python, picklable in and out)."""
    scenario = task.spec.scenarios[0]
    tallies = [simulate_chunk(task.spec, scenario, n, s) for n, s in zip(task.sizes, task.seeds,
                                                                       strict=True)]
    result = TaskResult(task.cell, task.first_chunk, tallies)
    if task.with_reference:
        result.exact = exact_oc(task.spec, scenario)
        result.normal_approximation = normal_approximation(task.spec, scenario)
    return result


def assemble(grid: Grid, results: Iterable[TaskResult]) -> list[ScenarioResult]:
    """Put task results (in any order) back together, adding each cell's chunks in chunk order."""
    per_cell: dict[int, dict[int, Tally]] = {c.index: {} for c in grid.cells}
    reference: dict[int, TaskResult] = {}
    for result in results:
        for offset, tally in enumerate(result.tallies):
            per_cell[result.cell][result.first_chunk + offset] = tally
        if result.first_chunk == 0:
            reference[result.cell] = result
    n_chunks = len(grid.chunk_sizes)
    out = []
    for cell in grid.cells:
        chunks = per_cell[cell.index]
        if sorted(chunks) != list(range(n_chunks)) or cell.index not in reference:
            raise RuntimeError(f"cell {cell.index}: results missing")
        total = chunks[0]
        for k in range(1, n_chunks):
            total = total + chunks[k]
        ref = reference[cell.index]
        out.append(ScenarioResult(cell.spec.scenarios[0], total, ref.exact,
                                  ref.normal_approximation))
    return out


def run_local(
    grid: Grid, chunks_per_task: int = 1, on_done: Callable[[], None] | None = None
) -> list[ScenarioResult]:
    """Run the grid in this process (the reference the Dask runner must match bit for bit)."""
    done = []
    for task in tasks(grid, chunks_per_task):
        done.append(run_task(task))
        if on_done is not None:
            on_done()
    return assemble(grid, done)


def rows(grid: Grid, results: list[ScenarioResult]) -> list[dict[str, Any]]:
    """One flat record per cell: its axes, its seed and :meth:`ScenarioResult.to_dict`."""
    out = []
    for cell, result in zip(grid.cells, results, strict=True):
        record = result.to_dict(cell.spec)
        exact = record.pop("exact", None)
        approx = record.pop("normal_approximation", None)
        record.pop("name")
        row: dict[str, Any] = {
            "cell": cell.index,
            "effect": cell.effect,
            "boundary": cell.boundary,
            "n_total": cell.spec.n_max,
            "seed": cell.seed,
            "participants": cell.spec.participants.tolist(),
            "upper": [_finite(v) for v in cell.spec.bounds.upper.tolist()],
            "lower": [_finite(v) for v in cell.spec.bounds.lower.tolist()],
            **record,
            "exact_rejection_probability": (
                exact["rejection_probability"] if exact is not None else None
            ),
            "normal_rejection_probability": (
                approx["rejection_probability"] if approx is not None else None
            ),
        }
        out.append(row)
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def write_parquet(records: list[dict[str, Any]], path: str | Path, grid: Grid) -> None:
    """Write the rows to Parquet (pyarrow), with the grid's name, seed and sims as metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in records])
    metadata = {b"trialdesk.grid": f"{grid.name}|seed={grid.seed}|sims={grid.sims}|"
                f"chunk={grid.chunk}".encode()}
    pq.write_table(table.replace_schema_metadata(metadata), str(path))


def read_parquet(path: str | Path) -> list[dict[str, Any]]:
    """The rows written by :func:`write_parquet`."""
    import pyarrow.parquet as pq

    return pq.read_table(str(path)).to_pylist()
