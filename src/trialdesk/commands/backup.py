"""``trialdesk backup``: an encrypted copy of the database and the data directory's secrets.

    trialdesk backup --out FILE --key-file K            one backup
    trialdesk backup --out-dir DIR --keep N --key-file K   scheduled: named by UTC time, the
                                                           oldest beyond N deleted
    trialdesk backup --verify FILE --key-file K         decrypt and check it; writes nothing
    trialdesk backup --new-key-file K                   make a random 32-byte key file

``--passphrase-file F`` instead of ``--key-file`` derives the key from a passphrase (scrypt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from trialdesk.commands.language import N_, _
from trialdesk.web.datadir import DEFAULT_DATA_DIR

key_options = [
    click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
                 default=None, help="A file whose first line is the passphrase (12 characters "
                                    "or more; scrypt derives the key)."),
    click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="A file holding a 32-byte key (raw, or 64 hex digits)."),
]


def with_key_options(function: Any) -> Any:
    for option in reversed(key_options):
        function = option(function)
    return function


def key_source(passphrase_file: Path | None, key_file: Path | None) -> Any:
    """The key of ``--passphrase-file`` or ``--key-file`` (exactly one), or a usage error."""
    if (passphrase_file is None) == (key_file is None):
        raise click.UsageError(_("give exactly one of --passphrase-file and --key-file"))
    from trialdesk.backup.crypto import read_key_file, read_passphrase_file
    from trialdesk.backup.errors import BackupError

    try:
        source = (read_passphrase_file(passphrase_file) if passphrase_file is not None
                  else read_key_file(key_file))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    secret = passphrase_file or key_file
    if secret.stat().st_mode & 0o077:
        click.echo(_("warning: %(file)s can be read by other accounts (chmod 600 %(file)s)")
                   % {"file": secret}, err=True)
    return source


def os_error(error: OSError) -> str:
    """An operating system error in plain words: the file and the reason, no traceback."""
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


# the backup's stages (trialdesk.backup.operations), marked here for the catalogue
STAGES = (N_("copying the database"), N_("encrypting"), N_("decrypting"))


def progress_bars(description: str, total: int) -> Any:
    """A tqdm bar in bytes on standard error (hidden when it is not a terminal)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=_(description), unit="B", unit_scale=True, unit_divisor=1024,
               disable=None, leave=False)
    return _Bar(bar)


class _Bar:
    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def __call__(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        self._bar.close()


def dump_check(dump: Path, head: dict[str, Any] | None) -> str:
    from trialdesk.web.backup import dump_chain_check

    return dump_chain_check(dump, head)


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the backup to this file (never overwritten).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scheduled mode: write trialdesk-YYYYMMDDTHHMMSSZ.tdbackup (UTC) here.")
@click.option("--keep", type=click.IntRange(1, 100000), default=None,
              help="With --out-dir: keep the newest N scheduled backups, delete older ones.")
@click.option("--verify", "verify_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Decrypt and check this backup (hashes, database integrity, "
                                 "audit chain); write nothing.")
@click.option("--new-key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a new random key to this file (mode 0600) and exit.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_DATA_DIR, show_default=True,
              help="The server's data directory (SQLite database, secret key, seeds).")
@click.option("--database", default=None, envvar="DATABASE_URL",
              help="Database URL (PostgreSQL: backed up with pg_dump -Fc).")
@with_key_options
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as one JSON object.")
def command(out: Path | None, out_dir: Path | None, keep: int | None,
            verify_file: Path | None, new_key_file: Path | None, data_dir: Path,
            database: str | None, passphrase_file: Path | None, key_file: Path | None,
            as_json: bool) -> None:
    """Back up the database and the data directory's secrets, encrypted; verify a backup.

    The backup holds a consistent copy of the database (SQLite's online backup API while the
    server runs; pg_dump -Fc for PostgreSQL), every file of the data directory (secret key,
    allocation seed, confidential randomization file, monitoring plan seed, demo users,
    documents) and a manifest: when, which database, each file's SHA-256 and the audit trail's
    head. It is encrypted with AES-256-GCM in authenticated 1 MiB chunks.
    """
    modes = [name for name, value in (("--out", out), ("--out-dir", out_dir),
                                      ("--verify", verify_file),
                                      ("--new-key-file", new_key_file)) if value is not None]
    if len(modes) != 1:
        raise click.UsageError(_("give one of --out, --out-dir, --verify and --new-key-file"))
    if keep is not None and out_dir is None:
        raise click.UsageError(_("--keep goes with --out-dir"))
    from trialdesk.backup.errors import BackupError

    try:
        if new_key_file is not None:
            from trialdesk.backup.crypto import new_key_file as write_key

            write_key(new_key_file)
            click.echo(_("wrote a new key to %(file)s (mode 0600): keep a copy apart from the "
                         "backups") % {"file": new_key_file})
            return
        key = key_source(passphrase_file, key_file)
        if verify_file is not None:
            _verify(verify_file, key, as_json)
        else:
            _backup(out, out_dir, keep, key, data_dir, database, as_json)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that cannot be written
        raise click.ClickException(os_error(error)) from None


def _backup(out: Path | None, out_dir: Path | None, keep: int | None, key: Any,
            data_dir: Path, database: str | None, as_json: bool) -> None:
    from trialdesk.backup import retention
    from trialdesk.backup.operations import make_backup

    if out_dir is not None:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = out_dir / retention.scheduled_name()
    manifest = make_backup(out.resolve(), key, data_dir.resolve(), database, progress_bars)
    deleted = retention.prune(out_dir, keep) if out_dir is not None and keep else []
    if as_json:
        click.echo(json.dumps({"file": str(out), "manifest": manifest,
                               "deleted": [str(path) for path in deleted]}))
        return
    click.echo(_("wrote %(file)s: %(summary)s") % {"file": out, "summary": _summary(manifest)})
    for path in deleted:
        click.echo(_("deleted the older backup %(file)s") % {"file": path})


def _verify(path: Path, key: Any, as_json: bool) -> None:
    from trialdesk.backup.operations import verify_backup

    checked = verify_backup(path, key, progress_bars, dump_check)
    if as_json:
        click.echo(json.dumps({"ok": True, "audit": checked.audit, "manifest": checked.manifest}))
        return
    click.echo(_("backup %(file)s is intact: %(summary)s")
               % {"file": path, "summary": _summary(checked.manifest)})
    click.echo(checked.audit)


def _summary(manifest: dict[str, Any]) -> str:
    head = manifest.get("audit_head")
    files = [m for m in manifest["members"] if m["name"].startswith("files/")]
    where = (_("audit head %(head)s") % {"head": f"{head['seq']}:{head['hash'][:12]}..."}
             if head else _("no audit records"))
    return _("%(database)s database and %(n)d files, made %(made)s, %(where)s") % {
        "database": manifest["database"], "n": len(files), "made": manifest["created_at"],
        "where": where}
