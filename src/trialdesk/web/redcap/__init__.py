"""A REDCap-compatible API at ``/redcap/api/`` (issue 22): the wire protocol PyCap and REDCapR
speak, mapped onto the trial's protocol, forms and records, with blinding and audit enforced."""
