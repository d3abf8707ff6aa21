"""The running protocol's identity in the JSON API (the administrator's ``manage_protocol``).

Which protocol file the server runs, with the SHA-256 of its bytes, so that an administrator can
check it against the approved version; what it declares (version, counts of roles, forms, visits
and sites) and what ``trialdesk protocol check`` says of it. Errors would have stopped the server
at start-up, so the check here lists the texts that lack a translation and counts the assumptions.
Nothing about the allocation (seed, list, arms of kits, block sizes) is part of it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router

from trialdesk.blinding import Permission
from trialdesk.protocol import Protocol, ProtocolError, default_protocol_path, parse_protocol
from trialdesk.protocol.checks import check_protocol
from trialdesk.protocol.confidential import read_confidential
from trialdesk.protocol.translations import missing_translations
from trialdesk.web.core.endpoints import endpoint
from trialdesk.web.core.protocol import confidential_file, get_protocol

router = Router(tags=["protocol"])

BUNDLED = "bundled"


def protocol_source() -> tuple[str, Path]:
    """Return how the server names its protocol file (its path, or "bundled") and the file."""
    configured = getattr(settings, "TRIALDESK_PROTOCOL", None)
    if configured:
        return str(configured), Path(configured)
    return BUNDLED, default_protocol_path()


def file_identity(path: Path, running: Protocol) -> tuple[str | None, bool]:
    """Return the SHA-256 of the file's bytes as they are on disk now (None if unreadable), and
    whether those bytes still describe the protocol the server loaded at start-up."""
    try:
        data = path.read_bytes()
    except OSError:
        return None, False
    secret = confidential_file()  # the running protocol was completed by it
    try:
        same = parse_protocol(data.decode("utf-8"), file=str(path), confidential=(
            read_confidential(secret) if secret is not None else None)) == running
    except (ProtocolError, UnicodeDecodeError):
        same = False
    return hashlib.sha256(data).hexdigest(), same


def protocol_view(language: str) -> dict[str, Any]:
    """Return the identity of the protocol the server runs and the result of its checks."""
    protocol = get_protocol()
    source, path = protocol_source()
    sha256, file_matches = file_identity(path, protocol)
    findings = check_protocol(protocol)
    missing = missing_translations(protocol)
    return {
        "nct_id": protocol.registry.nct_id,
        "title": protocol.registry.brief_title.text(language),
        "source": source,
        "sha256": sha256,
        "file_matches_running": file_matches,
        "version": getattr(protocol, "version", None),
        "schema_version": protocol.schema_version,
        "languages": list(protocol.languages),
        "counts": {"roles": len(protocol.roles), "forms": len(protocol.forms),
                   "visits": len(protocol.visits), "sites": len(protocol.sites)},
        "roles": [role.code for role in protocol.roles],
        "validation": {
            "valid": not findings,
            "errors": [{"path": path_, "rule": rule, "message": message}
                       for path_, rule, message in findings],
            "missing_translations": [{"path": text_path, "language": lang}
                                     for text_path, lang in missing],
            "assumptions": len(protocol.assumptions),
        },
    }


@router.get("/protocol")
@endpoint(Permission.MANAGE_PROTOCOL)
def running_protocol(request: HttpRequest) -> dict[str, Any]:
    """The protocol the server runs: NCT id, title, file (path or "bundled") and its SHA-256,
    version, counts, and its check (missing translations, number of assumptions).

    The SHA-256 is of the file as it is on disk when asked; ``file_matches_running`` says whether
    that file still describes the protocol loaded at start-up (false: it was replaced or edited
    since, and a restart would apply it, or fail on it).
    """
    return protocol_view(getattr(request, "LANGUAGE_CODE", "en")[:2])
