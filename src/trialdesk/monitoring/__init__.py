"""Monitoring as a paper trial would do it: which data a monitor verifies against the source
documents (:mod:`trialdesk.monitoring.sdv_plan`) and where a verification stands
(:mod:`trialdesk.monitoring.verification`). Plain Python: no Django, no arm."""
