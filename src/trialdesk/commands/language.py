"""The language of the command line's human output (issue 19).

``trialdesk --language es ...``, or ``--language`` on any command, else the locale's language
(LC_ALL, LC_MESSAGES, LANG, as POSIX orders them), else English. The texts are msgids of the
command line's own gettext catalogue (``commands/locale/es/LC_MESSAGES/trialdesk.po``); reading a
compiled catalogue costs the standard library only, so the fast start is kept. Machine output
(``--json``, CSV, files) never goes through here.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import click

LANGUAGES = ("en", "es")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "trialdesk"
# kept in click's meta, which every context of one invocation shares: the root group's option
# and a command's own both write it, the command's (parsed later) winning
META_KEY = "trialdesk.language"
LANGUAGE_HELP = "Language of the output: en or es (default: the locale's, else en)."


def locale_language(available: Sequence[str] = LANGUAGES) -> str:
    """The locale's language when ``available`` has it, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            spoken = value.split(".")[0].replace("-", "_").split("_")[0].lower()
            return spoken if spoken in available else "en"
    return "en"


def check_language(language: str, available: Sequence[str] = LANGUAGES) -> str:
    """``language`` itself; an unknown one is a usage error naming the available ones."""
    if language not in available:
        raise click.BadParameter(f"unknown language {language!r}; available: "
                                 f"{', '.join(available)}", param_hint="--language")
    return language


def chosen_language(language: str | None, available: Sequence[str] = LANGUAGES) -> str:
    """``language`` if given (checked against ``available``); else the one chosen for this
    invocation (``trialdesk --language``) when ``available`` has it; else the locale's."""
    if language is not None:
        return check_language(language, available)
    chosen = _chosen()
    if chosen is not None:
        return chosen if chosen in available else "en"
    return locale_language(available)


def current_language() -> str:
    """The language of this invocation's human output."""
    return chosen_language(None)


def remember_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Callback of every ``--language`` option that only chooses the output's language."""
    if value is not None:
        ctx.meta[META_KEY] = check_language(value)


def language_option() -> click.Option:
    """The ``--language`` option given to each command that has none of its own."""
    return click.Option(["--language"], default=None, expose_value=False, metavar="[en|es]",
                        callback=remember_language, help=LANGUAGE_HELP)


def add_language_option(command: click.Command) -> None:
    """Give ``command`` and every command under it ``--language`` (once; a command with its own
    ``--language``, such as ``users create``'s interface language, keeps its own)."""
    if not any("--language" in getattr(param, "opts", ()) for param in command.params):
        command.params.append(language_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_language_option(sub)


def _chosen() -> str | None:
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(META_KEY)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language],
                               fallback=True)


def translator(language: str | None = None) -> Callable[[str], str]:
    """The gettext function of ``language`` (default: this invocation's)."""
    return _catalogue(language or current_language()).gettext


def _(message: str) -> str:
    """``message`` in this invocation's language."""
    return _catalogue(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is printed."""
    return message


def decimal_mark(language: str | None = None) -> str:
    """The decimal mark the pages use in ``language``: Spanish writes 12,5 (no grouping)."""
    return "," if (language or current_language()) == "es" else "."


def number(value: Any, spec: str = "g", language: str | None = None) -> str:
    """``value`` formatted with ``spec`` and written with the language's decimal mark."""
    text = format(value, spec)
    mark = decimal_mark(language)
    return text if mark == "." else text.replace(".", mark)
