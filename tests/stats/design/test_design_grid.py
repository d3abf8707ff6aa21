"""Scenario grids on Dask (issue 23): one seed tree, bit-identical whatever runs them."""

from __future__ import annotations

import copy
import dataclasses
import os
import tomllib

import numpy as np
import psutil
import pytest

from trialdesk.stats.design.grid import (
    GridError,
    assemble,
    load_grid,
    parse_grid,
    read_parquet,
    rows,
    run_local,
    run_task,
    tasks,
    write_parquet,
)
from trialdesk.stats.design.grid_dask import dask_client, run_on_dask
from trialdesk.stats.design.simulate import simulate
from trialdesk.stats.design.spec import EXAMPLES

GRID = {
    "name": "test grid",
    "seed": 987654321,
    "sims": 700,
    "chunk": 200,  # 4 chunks per cell, the last one short
    "design": {"endpoint": "binary", "randomization": "simple",
               "information_rates": [0.5, 1.0], "accrual_per_month": 12.0},
    "grid": {"n_total": [60, 90]},
    "boundaries": [{"name": "OBF", "spending": "obf"},
                   {"name": "Pocock + futility", "spending": "pocock", "futility": "obf"}],
    "effects": [{"name": "null", "p_control": 0.4, "p_treatment": 0.4},
                {"name": "alt", "p_control": 0.4, "p_treatment": 0.2}],
}


def _grid(**changes):
    data = copy.deepcopy(GRID)
    data.update(changes)
    return parse_grid(data)


def _assert_same(a, b):
    """Bit for bit: every tally field equal, floats compared with ==."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for field in dataclasses.fields(x.tally):
            u, v = getattr(x.tally, field.name), getattr(y.tally, field.name)
            assert np.array_equal(u, v), field.name
        assert x.scenario == y.scenario


@pytest.fixture(scope="module")
def two_workers():
    """A 2-process local cluster, closed (workers ended) after the module, even on failure."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # not 8787: other runs may hold it
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_grid_cells_are_the_product_of_the_axes():
    grid = _grid()
    assert len(grid.cells) == 2 * 2 * 2
    assert grid.chunk_sizes == [200, 200, 200, 100]
    assert {(c.effect, c.size, c.boundary) for c in grid.cells} == {
        (e, n, b) for e in ("null", "alt") for n in (60, 90) for b in ("OBF", "Pocock + futility")
    }
    assert len({c.seed for c in grid.cells}) == len(grid.cells)


def test_cell_seeds_come_from_the_spawned_seed_tree():
    # Independently: the i-th child of SeedSequence(seed) is SeedSequence(seed, spawn_key=(i,)).
    grid = _grid()
    for cell in grid.cells:
        child = np.random.SeedSequence(987654321, spawn_key=(cell.index,))
        assert cell.seed == int(child.generate_state(1, dtype=np.uint64)[0]) >> 1


def test_each_cell_equals_the_single_scenario_simulate_with_its_seed():
    grid = _grid()
    results = run_local(grid)
    for cell, result in zip(grid.cells, results, strict=True):
        alone = simulate(cell.spec, grid.sims, seed=cell.seed, chunk=grid.chunk,
                         progress=False)
        assert len(alone) == 1
        _assert_same([result], alone)
        assert alone[0].to_dict(cell.spec) == result.to_dict(cell.spec)


def test_grouping_chunks_into_tasks_and_task_order_change_nothing():
    grid = _grid()
    reference = run_local(grid, 1)
    for per_task in (2, 3, 4, 9):
        _assert_same(run_local(grid, per_task), reference)
    shuffled = [run_task(t) for t in reversed(list(tasks(grid, 1)))]
    _assert_same(assemble(grid, shuffled), reference)


def test_a_different_chunk_size_is_a_different_seed_tree():
    a = run_local(_grid())
    b = run_local(_grid(chunk=350))
    assert any(x.tally.upper.tolist() != y.tally.upper.tolist() or
               x.tally.sum_analysed != y.tally.sum_analysed for x, y in zip(a, b, strict=True))


def test_two_dask_workers_equal_the_single_process_run_bit_for_bit(two_workers):
    grid = _grid()
    reference = run_local(grid)
    on_dask = run_on_dask(grid, two_workers, progress=False)
    _assert_same(on_dask, reference)
    assert rows(grid, on_dask) == rows(grid, reference)
    # Both workers took part (so the equality is not that of one process with itself).
    assert len(two_workers.scheduler_info()["workers"]) == 2
    _assert_same(run_on_dask(grid, two_workers, chunks_per_task=3, progress=False), reference)


def test_the_scheduler_address_path_gives_the_same_results(two_workers):
    grid = _grid(sims=300)
    address = two_workers.cluster.scheduler_address
    with dask_client(address) as client:
        _assert_same(run_on_dask(grid, client, progress=False), run_local(grid))


def test_the_progress_bar_counts_every_task_and_changes_nothing(two_workers, monkeypatch, capsys):
    from trialdesk.stats.design import grid_dask

    closed: list[tuple[int, int]] = []

    class Recording(grid_dask.tqdm):
        def close(self) -> None:
            if not self.disable:  # tqdm closes twice (context exit, then garbage collection)
                closed.append((self.total, self.n))
            super().close()

    monkeypatch.setattr(grid_dask, "tqdm", Recording)
    grid = _grid(sims=300)
    n_tasks = sum(1 for _ in tasks(grid, 1))
    _assert_same(run_on_dask(grid, two_workers), run_local(grid))
    assert closed == [(n_tasks, n_tasks)]
    assert f"0/{n_tasks}" in capsys.readouterr().err  # the bar was drawn, on stderr


def test_the_local_cluster_is_closed_and_its_workers_ended_even_when_a_task_fails():
    grid = _grid(sims=50)
    # A cell whose spec has no scenario: its task raises IndexError on the worker.
    broken = dataclasses.replace(grid.cells[1], spec=dataclasses.replace(grid.cells[1].spec,
                                                                         scenarios=[]))
    grid = dataclasses.replace(grid, cells=[grid.cells[0], broken, *grid.cells[2:]])
    pids: list[int] = []
    with pytest.raises(IndexError), dask_client(workers=1) as client:
        pids.extend(client.run(os.getpid).values())
        assert pids and all(psutil.pid_exists(p) for p in pids)
        run_on_dask(grid, client, progress=False)
    assert pids
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_parquet_round_trip(tmp_path):
    grid = _grid()
    records = rows(grid, run_local(grid))
    path = tmp_path / "grid.parquet"
    write_parquet(records, path, grid)
    back = read_parquet(path)
    assert len(back) == len(records)
    for before, after in zip(records, back, strict=True):
        for key, value in before.items():
            assert after[key] == value, key
    # Futility only in some boundaries: the column exists, empty where it does not apply.
    assert {r["rejection_probability_ignoring_futility"] is None for r in back} == {True, False}
    import pyarrow.parquet as pq

    assert b"seed=987654321" in pq.read_schema(path).metadata[b"trialdesk.grid"]


def test_the_example_grid_has_100_cells():
    grid = load_grid(EXAMPLES / "grid_mortality.toml")
    assert len(grid.cells) == 100
    with open(EXAMPLES / "grid_mortality.toml", "rb") as handle:
        assert tomllib.load(handle)["seed"] == grid.seed


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"scenarioz": []}, "scenarioz: unknown key"),
        ({"scenarios": [{"p_control": 0.1, "p_treatment": 0.1}]}, "scenarios:"),
        ({"grid": {"n_total": 100}}, "grid.n_total"),
        ({"grid": {"n_total": [100, -4]}}, "grid.n_total"),
        ({"grid": {"n_total": [100, 100]}}, "grid.n_total"),
        ({"grid": {"sizes": [100]}}, "grid.sizes"),
        ({"grid": {"n_total": [100], "n_per_arm": [50]}}, "grid:"),
        ({"effects": []}, "effects"),
        ({"effects": [{"name": "a", "p_control": 1.5, "p_treatment": 0.2}]}, "effects[0]"),
        ({"boundaries": [{"name": "x", "spending": "nonsense"}]}, "boundaries[0]"),
        ({"boundaries": [{"name": "x"}, {"name": "x"}]}, "boundaries: names"),
        ({"sims": 0}, "sims"),
        ({"chunk": "big"}, "chunk"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_grid_files_are_refused_naming_the_key(change, key):
    with pytest.raises(GridError) as caught:
        _grid(**change)
    assert key in str(caught.value)


def test_a_sample_size_in_the_design_clashes_with_the_grid_axis():
    data = copy.deepcopy(GRID)
    data["design"]["n_total"] = 80
    with pytest.raises(GridError, match=r"design\.n_total"):
        parse_grid(data)
