"""The one entry point: ``trialdesk ...``.

Each command group lives in its own module under ``trialdesk.commands`` and is imported only
when it is invoked, so ``trialdesk protocol check`` does not pay for Django or matplotlib.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

# group name -> (module under trialdesk.commands, one-line help). The help is the first line of
# the group's docstring, kept here so that `trialdesk --help` lists the groups without importing a
# single command module (tests/test_cli_import_time.py checks that the two agree).
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "protocol": ("protocol", "Check and show a protocol file (default: the bundled NCT04390152)."),
    "randomization": ("randomization", "Generate, commit, verify and assess allocation lists."),
    "design": ("design", "Sample size, group-sequential boundaries, simulation, and what a trial "
                         "can detect."),
    "analyze": ("analyze", "The trial's statistical analyses on any data (text, --json, --plot)."),
    "safety": ("safety", "Safety: the Bayesian stopping-rule table, incidence intervals, reporting "
                         "deadlines."),
    "registry": ("registry", "The public trial registry: import, export and search "
                             "ClinicalTrials.gov study records."),
    "serve": ("server", "Run the trial server (gunicorn) on HOST:PORT after applying migrations."),
    "demo": ("demo", "Simulate a whole trial through the real write path, then summarize (and "
                     "serve) it."),
    "users": ("users", "Create and list users of the trial server."),
    "sites": ("sites", "The trial's sites and their recruiting status (planned, active, "
                       "suspended, closed)."),
    "audit": ("audit", "Verify the tamper-evident audit trail."),
    "export": ("export", "Export the trial's data in a standard format (sdtm, adam, ...)."),
    "backup": ("backup", "Back up the database and the data directory's secrets, encrypted; "
                         "verify a backup."),
    "worker": ("worker", "Run background tasks (simulations, exports, e-mail) from the trial's "
                         "database."),
    "schedule": ("schedule", "Schedule backups and data cuts, run by the task workers at set "
                             "times."),
    "restore": ("restore", "Restore an encrypted backup into an empty data directory (and "
                           "database)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMAND_GROUPS if self._module_exists(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_GROUPS:
            return None
        module_name, _ = COMMAND_GROUPS[cmd_name]
        try:
            module = importlib.import_module(f"trialdesk.commands.{module_name}")
        except ModuleNotFoundError as error:
            if error.name == f"trialdesk.commands.{module_name}":
                return None
            raise
        # imported only now: `trialdesk --help` loads no command module
        from trialdesk.commands.language import add_language_option

        add_language_option(module.command)
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the groups from ``COMMAND_GROUPS``: click's default imports every command module
        to read its docstring, which would make ``trialdesk --help`` as slow as the slowest."""
        rows = [(name, COMMAND_GROUPS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            rows = [(name, _shorten(text, limit)) for name, text in rows]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    @staticmethod
    def _module_exists(name: str) -> bool:
        module_name, _ = COMMAND_GROUPS[name]
        return importlib.util.find_spec(f"trialdesk.commands.{module_name}") is not None


def _remember_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        from trialdesk.commands.language import remember_language

        remember_language(ctx, param, value)


def _shorten(text: str, limit: int) -> str:
    """Cut ``text`` at a word before ``limit`` characters, as click shortens a command's help."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 0)].rsplit(" ", 1)[0]
    return f"{cut}..."


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trialdesk")
@click.option("--language", default=None, expose_value=False, metavar="[en|es]",
              callback=_remember_language,
              help="Language of the output: en or es (default: the locale's, else en).")
def main() -> None:
    """trialdesk runs a randomized, blinded clinical trial end to end."""


if __name__ == "__main__":
    main()
