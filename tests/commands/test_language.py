"""The command line's language (issue 19): ``trialdesk --language``, ``--language`` on any
command, else the locale; an unknown language refused naming the available ones."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from trialdesk.cli import COMMAND_GROUPS, main
from trialdesk.commands.language import META_KEY, chosen_language, number

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
COUNTS = ["proportions", "--events-a", "6", "--n-a", "21", "--events-b", "6", "--n-b", "24"]


def run(*args: str, **env: str | None):
    return CliRunner(env={**NO_LOCALE, **env}).invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args", [
    ["--language", "es", "analyze", *COUNTS],
    ["analyze", "--language", "es", *COUNTS],
    ["analyze", *COUNTS, "--language", "es"],
], ids=["root", "group", "command"])
def test_the_language_is_chosen_at_the_root_or_on_the_command(args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "diferencia de riesgos" in result.output and "0,2857" in result.output
    assert "risk difference" not in result.output


def test_the_commands_own_language_wins_over_the_roots():
    result = run("--language", "es", "analyze", *COUNTS, "--language", "en")
    assert "risk difference" in result.output and "0.2857" in result.output


@pytest.mark.parametrize("args", [
    ["--language", "fr", "analyze", *COUNTS],
    ["analyze", *COUNTS, "--language", "fr"],
    ["--language", "fr", "protocol", "show"],
    ["protocol", "show", "--language", "fr"],
], ids=["root", "command", "root-protocol", "protocol"])
def test_an_unknown_language_is_refused_naming_the_available_ones(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "unknown language 'fr'" in result.output and "available: en, es" in result.output


@pytest.mark.parametrize(("env", "spanish"), [
    ({"LANG": "es_CO.UTF-8"}, True),
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "es_ES"}, True),
    ({"LANG": "es_CO.UTF-8", "LC_ALL": "C.UTF-8"}, False),  # LC_ALL rules
    ({"LANG": "fr_FR.UTF-8"}, False),  # no French: English, no error
    ({}, False),
])
def test_without_the_option_the_locale_chooses(env, spanish):
    result = run("analyze", *COUNTS, **env)
    assert result.exit_code == 0, result.output
    assert ("diferencia de riesgos" in result.output) is spanish
    assert ("risk difference" in result.output) is not spanish


def test_the_option_wins_over_the_locale():
    assert "risk difference" in run("--language", "en", "analyze", *COUNTS,
                                    LANG="es_CO.UTF-8").output


def test_the_protocol_commands_follow_the_root_option():
    english = run("protocol", "show")
    spanish = run("--language", "es", "protocol", "show")
    assert "Arms (randomized" in english.output
    assert "Brazos (aleatorizada" in spanish.output


def test_every_command_accepts_the_option():
    """Each command, group and subcommand lists --language in its help (given once)."""
    context = click.Context(main)

    def walk(command: click.Command, path: list[str]) -> list[list[str]]:
        found = [path]
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                found += walk(command.get_command(context, name), [*path, name])
        return found

    for name in COMMAND_GROUPS:
        for path in walk(main.get_command(context, name), [name]):
            shown = run(*path, "--help")
            assert shown.exit_code == 0, path
            assert shown.output.count("--language") == 1, path


def test_the_root_choice_reaches_a_command_called_in_process():
    with click.Context(main) as ctx:
        ctx.meta[META_KEY] = "es"
        assert chosen_language(None) == "es"
        assert chosen_language(None, ["en"]) == "en"  # texts only in English: English
        assert chosen_language("en") == "en"


def test_spanish_numbers_use_the_decimal_comma_and_no_grouping():
    assert number(12345.5, ".1f", language="es") == "12345,5"
    assert number(0.25, ".0%", language="es") == "25%"
    assert number(-0.0357, "+.3f", language="en") == "-0.036"
