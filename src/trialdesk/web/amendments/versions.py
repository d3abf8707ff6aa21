"""Which protocol version holds where: the functions the rest of the server asks.

Version 1 is the protocol the server runs (``core.protocol.get_protocol``); amendments add
versions 2, 3 ... A site works under the highest version whose ethics approval at that site is
entered and whose effective date has come on the trial's clock; until then it keeps the version
before. Data keep the version they were captured under (``FormInstance.protocol_version``).

Parsing a protocol takes a good part of a second, so parsed versions are kept per process, keyed
by the SHA-256 of their text: a version is never edited, so its hash names it for good (a number
does not: a test database rolled back may give number 2 to another text).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection

from trialdesk.protocol import Protocol
from trialdesk.protocol.confidential import read_confidential
from trialdesk.protocol.loader import default_protocol_path, parse_protocol
from trialdesk.web.amendments.models import ProtocolVersion, SiteApproval
from trialdesk.web.core import clock, sql
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import confidential_file, get_protocol

FIRST = 1

_parsed: dict[str, Protocol] = {}
_parsed_lock = threading.Lock()


def text_hash(text: str) -> str:
    """Return the SHA-256 (hex) of a protocol file's text, the name its parse is cached under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def running_protocol_text() -> str:
    """Return the text of the protocol file the server started with (version 1)."""
    path = settings.TRIALDESK_PROTOCOL or default_protocol_path()
    return Path(path).read_text(encoding="utf-8")


@functools.cache
def _running_hash(_path: str) -> str:
    # keyed by the configured path: a test that points the server at another file gets its hash
    return text_hash(running_protocol_text())


def parse_version(text: str) -> Protocol:
    """Parse a version's text with the data directory's confidential randomization file, as the
    running protocol is (raises ProtocolError listing every problem)."""
    secret_file = confidential_file()
    secret = read_confidential(secret_file) if secret_file is not None else None
    return parse_protocol(text, file="<amendment>", confidential=secret)


def _cached(sha256: str, text: str | None) -> Protocol:
    with _parsed_lock:
        found = _parsed.get(sha256)
    if found is not None:
        return found
    if text is None:
        # the same text may be recorded twice (an amendment undone by the next): any row holds it
        text = ProtocolVersion.objects.filter(sha256=sha256).values_list(
            "toml_text", flat=True).first()
    protocol = parse_version(text)
    with _parsed_lock:
        _parsed[sha256] = protocol
    return protocol


def remember(text: str, protocol: Protocol) -> None:
    """Keep an already parsed version (the amendment action parsed it to check it)."""
    with _parsed_lock:
        _parsed[text_hash(text)] = protocol


def protocol_version(number: int) -> Protocol:
    """Return the protocol of version ``number`` (NotFound if there is none)."""
    found = sql.fetch_one(_sha_statement(connection.vendor), (number,))
    if found is None and number != FIRST:
        raise NotFound(f"no protocol version {number}")
    return _protocol_of(number, found[0] if found is not None else None)


@functools.cache
def _sha_statement(vendor: str) -> str:
    number, sha = sql.column(ProtocolVersion, "number"), sql.column(ProtocolVersion, "sha256")
    return f"SELECT {sha} FROM {sql.table(ProtocolVersion)} WHERE {number} = %s"  # noqa: S608


def _protocol_of(number: int, sha256: str | None) -> Protocol:
    """The protocol of version ``number`` whose text hashes to ``sha256`` (None: version 1 not
    recorded yet, the running protocol itself)."""
    if sha256 is None or (
            number == FIRST and sha256 == _running_hash(str(settings.TRIALDESK_PROTOCOL or ""))):
        return get_protocol()
    return _cached(sha256, None)


def _site_code(site: Site | str) -> str:
    return site if isinstance(site, str) else site.code


@functools.cache
def _in_force_statement(vendor: str) -> str:
    approval, version, site = (sql.table(SiteApproval), sql.table(ProtocolVersion),
                               sql.table(Site))
    number, sha = sql.column(ProtocolVersion, "number"), sql.column(ProtocolVersion, "sha256")
    # names from the models, values as parameters
    return (
        f"SELECT v.{number}, v.{sha} FROM {approval} a "  # noqa: S608
        f"JOIN {version} v ON v.id = a.{sql.column(SiteApproval, 'version')} "
        f"JOIN {site} s ON s.id = a.{sql.column(SiteApproval, 'site')} "
        f"WHERE s.{sql.column(Site, 'code')} = %s "
        f"AND a.{sql.column(SiteApproval, 'approval_date')} <= %s "
        f"AND v.{sql.column(ProtocolVersion, 'effective_date')} <= %s "
        f"UNION ALL SELECT {number}, {sha} FROM {version} WHERE {number} = %s "
        "ORDER BY 1 DESC LIMIT 1")


def in_force(site: Site | str) -> tuple[int, Protocol]:
    """Return the number and the protocol of the version in force at ``site`` today (trial
    clock), in one plain-SQL statement: every form save and randomization asks it."""
    today = connection.ops.adapt_datefield_value(clock.today())
    row = sql.fetch_one(_in_force_statement(connection.vendor),
                        (_site_code(site), today, today, FIRST))
    number, sha256 = row if row is not None else (FIRST, None)
    return number, _protocol_of(number, sha256)


def version_in_force(site: Site | str) -> int:
    """Return the number of the version in force at ``site`` today (trial clock)."""
    return in_force(site)[0]


def protocol_for_site(site: Site | str) -> Protocol:
    """Return the protocol in force at ``site`` today."""
    return in_force(site)[1]


def latest_number() -> int:
    """Return the number of the latest recorded version (1 before any amendment)."""
    number = ProtocolVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return number if number is not None else FIRST


def clear_cache() -> None:
    """Forget parsed versions (tests that change the running protocol)."""
    with _parsed_lock:
        _parsed.clear()
