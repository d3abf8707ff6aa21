"""Safety core: the Bayesian stopping rule, incidence intervals, reporting clocks, MedDRA files.

Plain Python, no Django (issue 15): the web layer (``trialdesk.web``) and the command line
(``trialdesk safety ...``) both import these modules, so a rule holds the same on a page, in a
script and on paper.

- :mod:`.boundary` — Bayesian safety stopping rule and its boundary table.
- :mod:`.incidence` — proportions with Clopper-Pearson intervals; risk differences (Newcombe).
- :mod:`.clocks` — SAE and SUSAR reporting deadlines (ICH E2A; EU Regulation 536/2014).
- :mod:`.meddra` — a reader for the MedDRA ASCII distribution files the sponsor licenses.
- :mod:`.rules` — seriousness, SUSAR, alert reasons and next required actions of one event.
"""
