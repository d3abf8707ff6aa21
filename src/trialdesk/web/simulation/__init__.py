"""A whole synthetic trial, run through the real writers (``do_*``) on a simulated clock.

``simulate_trial`` drives sites, users, screening, randomization, dispensing, every scheduled visit,
queries, signatures, withdrawals and deaths, then database lock and the two-person final
unblinding, exactly as the pages and the API would, so every record has its audit record. This
package imports the apps (core, trials, capture, accounts); none of them imports it.

- ``nct04390152_model``: the clinical value model of the bundled protocol (the one module here that
  names its field codes); any other protocol's fields get values from their types and ranges.
- ``outcomes``: who dies, withdraws or is lost, and when, given the arm.
- ``timeline``: the event queue that moves the simulated clock.
- ``run``: the stages; ``consort``: the numbers, counted from the database.
"""

from trialdesk.web.simulation.consort import consort_counts
from trialdesk.web.simulation.run import STAGES, SimulationResult, simulate_trial

__all__ = ["STAGES", "SimulationResult", "consort_counts", "simulate_trial"]
