"""The command line run in a language asked for with ``--language``, no locale in the environment
(so the machine's own locale cannot decide), and the check of a command's Spanish output."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from trialdesk.cli import main

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run_in(language: str, *args: str) -> Result:
    """``trialdesk --language <language> <args>``."""
    return CliRunner(env=NO_LOCALE).invoke(main, ["--language", language, *args],
                                           catch_exceptions=False)


def assert_in_spanish(args: list[str], spanish: list[str], english: list[str]) -> None:
    """The command ``args`` in Spanish shows every text of ``spanish`` and none of ``english``
    (each of which the English output shows, so its absence means something), and its --json is
    the same in both languages."""
    result = run_in("es", *args)
    assert result.exit_code == 0, result.output
    for text in spanish:
        assert text in result.output
    english_output = run_in("en", *args).output
    for text in english:
        assert text not in result.output
        assert text in english_output
    assert json.loads(run_in("es", *args, "--json").output) == json.loads(
        run_in("en", *args, "--json").output)
