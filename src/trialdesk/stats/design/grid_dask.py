"""Run a scenario grid (:mod:`.grid`) on Dask: a remote scheduler or a local cluster (issue 23).

``dask.distributed`` is imported only here, inside the functions, so that the grid logic and the
command line stay importable without it (it is the optional extra ``trialdesk[cluster]``). Results
come back in any order and are put together by :func:`.grid.assemble` in chunk order, so they are
bit-identical to :func:`.grid.run_local` whatever the number of workers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from .grid import Grid, assemble, run_task, tasks
from .simulate import ScenarioResult


@contextmanager
def dask_client(address: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client`` on ``address`` (``tcp://HOST:PORT``), or on a local cluster of
    ``workers`` single-threaded processes; the client and any local cluster are closed on exit,
    also when the body raises."""
    from distributed import Client, LocalCluster

    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # No dashboard; the scheduler's bare HTTP server on any free port, not 8787.
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_on_dask(
    grid: Grid, client: Any, *, chunks_per_task: int = 1, progress: bool = True
) -> list[ScenarioResult]:
    """Submit the grid's tasks to ``client`` and gather them, with a progress bar."""
    from distributed import as_completed

    work = list(tasks(grid, chunks_per_task))
    futures = client.map(run_task, work, pure=False)
    done = []
    with tqdm(total=len(work), desc="grid", unit="task", disable=not progress,
              leave=False) as bar:
        try:
            for future in as_completed(futures):
                done.append(future.result())
                future.release()
                bar.update()
        finally:
            # A failure (or Ctrl-C) leaves nothing running on a shared cluster.
            client.cancel([f for f in futures if not f.done()])
    return assemble(grid, done)
