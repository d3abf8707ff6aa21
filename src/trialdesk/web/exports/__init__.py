"""Data exports in standard formats (issue 21): a registry of formats, background jobs with
progress, audited, with the allocation decided here from the requester's role (never by a
format's writer)."""
