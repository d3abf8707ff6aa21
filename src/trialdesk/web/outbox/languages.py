"""The language each e-mail is written in: its recipient's (issue 19).

A recipient who is a user reads their own language: the first of their active memberships that
has one set, else the language the administrator set for the site of their first active site
membership, else the trial's. An address configured in settings (``TRIALDESK_*_EMAILS``, a
mailbox of the sponsor or the DSMB) reads the trial's language: the protocol's first language
that the server speaks, else English.

:func:`compose_per_language` writes one text per language needed, each under
``translation.override``, so that gettext, pgettext and date formats follow that language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.utils import translation

from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol

FALLBACK = "en"
Text = TypeVar("Text")


def spoken() -> list[str]:
    """The languages the server writes in (``settings.LANGUAGES``)."""
    return [code for code, _ in settings.LANGUAGES]


def trial_language() -> str:
    """The trial's language: the protocol's first one the server speaks, else English."""
    return next((code for code in get_protocol().languages if code in spoken()), FALLBACK)


def _site_language(membership: Membership) -> str:
    try:
        return membership.site.settings.language if membership.site else ""
    except ObjectDoesNotExist:  # a site the administrator never configured
        return ""


def user_language(user: object) -> str:
    """The language ``user`` reads: their first active membership's language set, else their
    first active site membership's site language, else the trial's."""
    memberships = list(Membership.objects.filter(user=user, active=True)
                       .select_related("site").order_by("pk"))
    chosen = next((m.language for m in memberships if m.language in spoken()), "")
    if not chosen:
        chosen = next((language for m in memberships
                       if (language := _site_language(m)) in spoken()), "")
    return chosen or trial_language()


def address_languages(configured: Iterable[str], users: Iterable[object]) -> dict[str, str]:
    """Each address once, with the language its e-mail is written in: the configured addresses
    first (the trial's language), then the users' (theirs; a user's own language wins over the
    trial's when a configured address is also theirs)."""
    languages: dict[str, str] = {}
    for address in configured:
        if address and address.strip():
            languages.setdefault(address.strip(), trial_language())
    by_address = sorted(((user.email.strip(), user) for user in users
                         if getattr(user, "email", "").strip()), key=lambda pair: pair[0])
    for address, user in by_address:
        languages[address] = user_language(user)
    return languages


def addresses_of(addresses: Iterable[str]) -> dict[str, str]:
    """Each address once with its language: a user's address in their language, any other in
    the trial's (for callers that hold addresses only)."""
    wanted = list(dict.fromkeys(a.strip() for a in addresses if a and a.strip()))
    users = {user.email.strip(): user for user in get_user_model().objects.filter(
        email__in=wanted, is_active=True).order_by("pk")}
    return {address: user_language(users[address]) if address in users else trial_language()
            for address in wanted}


def compose_per_language(compose: Callable[[], Text], languages: Iterable[str]
                         ) -> dict[str, Text]:
    """``compose()`` once per language, each inside ``translation.override(language)``."""
    texts: dict[str, Text] = {}
    for language in dict.fromkeys(languages):
        with translation.override(language):
            texts[language] = compose()
    return texts
