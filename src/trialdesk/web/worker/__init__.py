"""Background work on Django's task framework: the database-backed worker, its heartbeat, the
recovery of tasks whose worker died, and checkpointed (idempotent) task steps (issue 20)."""
