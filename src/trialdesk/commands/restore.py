"""``trialdesk restore FILE --data-dir DIR``: put an encrypted backup back in place."""

from __future__ import annotations

import json
from pathlib import Path

import click

from trialdesk.commands.backup import (
    dump_check,
    key_source,
    os_error,
    progress_bars,
    with_key_options,
)


@click.command()
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The data directory to restore into (empty, or --force).")
@click.option("--database", default=None, envvar="DATABASE_URL",
              help="For a PostgreSQL backup: the URL of the empty database to restore into.")
@click.option("--force", is_flag=True,
              help="Replace the database and files of a non-empty data directory (or "
                   "database). Stop the server first.")
@with_key_options
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as one JSON object.")
def command(backup: Path, data_dir: Path, database: str | None, force: bool,
            passphrase_file: Path | None, key_file: Path | None, as_json: bool) -> None:
    """Restore an encrypted backup into an empty data directory (and database).

    Everything is decrypted and checked first (each file's SHA-256, the database's integrity,
    the audit chain up to the backup's head); only then are the database and the files put in
    place (files 0600, folders 0700), and `trialdesk audit verify` is run on the result.
    """
    key = key_source(passphrase_file, key_file)
    from trialdesk.backup.errors import BackupError
    from trialdesk.backup.operations import restore_backup

    try:
        restored = restore_backup(backup, key, data_dir, database, force, progress_bars,
                                  dump_check)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that cannot be written
        raise click.ClickException(os_error(error)) from None
    manifest = restored.manifest
    if as_json:
        click.echo(json.dumps({"ok": True, "audit": restored.audit, "manifest": manifest}))
        return
    target = f"{data_dir}" + (" and the database" if manifest["database"] == "postgresql" else "")
    click.echo(f"restored the backup made {manifest['created_at']} into {target}")
    click.echo(restored.audit)
    head = manifest.get("audit_head")
    if head:
        click.echo(f"the backup ends at audit record {head['seq']}: what was recorded after "
                   f"{manifest['created_at']} is not in it, and heads published since then "
                   "make `trialdesk audit verify` report it as cut off (as it should)")
