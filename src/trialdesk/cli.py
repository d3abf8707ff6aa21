"""The one entry point: ``trialdesk ...``.

Each command group lives in its own module under ``trialdesk.commands`` and is imported only
when it is invoked, so ``trialdesk protocol check`` does not pay for Django or matplotlib.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

# group name -> (module under trialdesk.commands, one-line help)
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "protocol": ("protocol", "Check and show a protocol file."),
    "randomization": ("randomization", "Generate, commit, verify and assess allocation lists."),
    "design": ("design", "Sample size, group-sequential boundaries, simulation."),
    "analyze": ("analyze", "The trial's statistical analyses on any data."),
    "safety": ("safety", "Safety stopping-rule tables, incidence intervals, report deadlines."),
    "registry": ("registry", "The public trial registry: import, export, search."),
    "serve": ("server", "Run the trial server."),
    "demo": ("demo", "Simulate a whole trial through the server's actions (then serve it)."),
    "users": ("users", "Create and list users of the trial server."),
    "audit": ("audit", "Verify the tamper-evident audit trail."),
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
        return module.command

    @staticmethod
    def _module_exists(name: str) -> bool:
        module_name, _ = COMMAND_GROUPS[name]
        return importlib.util.find_spec(f"trialdesk.commands.{module_name}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trialdesk")
def main() -> None:
    """trialdesk runs a randomized, blinded clinical trial end to end."""


if __name__ == "__main__":
    main()
