"""Starting Django from the command line: environment, setup and migrations."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django(
    *, data_dir: str | Path | None = None, database: str | None = None, protocol: str | None = None
) -> None:
    """Point the settings at the data directory, database and protocol, then ``django.setup()``."""
    if data_dir is not None:
        os.environ["TRIALDESK_DATA_DIR"] = str(Path(data_dir).resolve())
    if database:
        os.environ["DATABASE_URL"] = database
    if protocol:
        os.environ["TRIALDESK_PROTOCOL"] = str(Path(protocol).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialdesk.web.settings")
    import django

    django.setup()


def migrate() -> None:
    """Apply the migrations quietly."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
