"""The meaning of quality's electronic signature of a lot's release decision (the password is
re-entered and throttled by ``capture.actions.signatures.check_signing_password``)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

RELEASE_MEANING = _(
    "I am responsible for the quality of this lot. By signing I confirm that I have reviewed its "
    "manufacturing record and release test results and decide its release as shown. This "
    "electronic signature is the legally binding equivalent of my handwritten signature."
)


def release_meaning(language: str) -> str:
    """The meaning of the release signature in ``language``."""
    with translation.override(language):
        return str(RELEASE_MEANING)
