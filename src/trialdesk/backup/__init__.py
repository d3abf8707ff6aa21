"""Encrypted backups of a trial: the database copy and the data directory's secret files.

Plain Python (no Django): ``crypto`` is the encrypted, chunked file format; ``archive`` the tar
stream with its manifest inside it; ``sources`` what is copied (SQLite online backup, pg_dump,
the data directory's files); ``retention`` the scheduled backups' names and pruning.
"""

from trialdesk.backup.errors import BackupError

__all__ = ["BackupError"]
