"""Scheduled work (issue 20): backups with retention and data cuts, queued by the task workers."""
