"""The blinding matrix: every role against every URL pattern and every API operation.

Routes come from the URL configuration and operations from every OpenAPI schema it serves, so a new
page or endpoint is checked without editing the tests. A finding is a response that a role may not
see: an arm label, arm description, arm-specific intervention name, or a field naming the arm,
for a blinded role; another site's kit or participant for a site's unblinded pharmacist; and any
``Secret`` passed to ``run_matrix`` (``blinding_secrets``: which participant was emergency-
unblinded, the pharmacy's times in the audit trail, the block sizes) for a viewer its rule does not
admit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from blinding_secrets import Secret
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from login import signed_in_client

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.protocol import get_policy, get_protocol

# The public registry record lists the arms by law (ClinicalTrials.gov); it must not show any
# allocation, so there only kit codes and participant codes count as findings.
PUBLIC_PREFIXES = ("registry",)
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}|\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Finding:
    who: str
    method: str
    path: str
    status: int
    what: list[str]


def url_routes(patterns: list | None = None, prefix: str = "") -> Iterator[str]:
    """Yield every route of the URL configuration, with its prefixes."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def openapi_operations(client: Client) -> list[tuple[str, str]]:
    """Return (method, path) of every operation in every OpenAPI schema the server publishes."""
    operations = []
    for route in url_routes():
        if not route.endswith("openapi.json"):
            continue
        schema = json.loads(client.get("/" + route).content)
        for path, methods in schema["paths"].items():
            operations += [(method.upper(), path) for method in methods]
    return operations


def concrete_paths(route: str, samples: dict[str, list[str]]) -> list[str]:
    """Return the route with each parameter replaced by sample values (one path per sample)."""
    route = route.replace("^", "").replace("\\Z", "").replace("$", "").replace("[/]", "/")
    route = route.replace("\\.", ".")
    names = [next(g for g in m.groups() if g) for m in _PARAM.finditer(route)]
    if not names:
        return ["/" + route.lstrip("/")]
    count = max(len(samples.get(name, ["1"])) for name in names)
    paths = []
    for index in range(count):
        def fill(match: re.Match, index: int = index) -> str:
            name = next(g for g in match.groups() if g)
            values = samples.get(name, ["NCT04390152" if "nct" in name else "1"])
            return values[index % len(values)]
        paths.append("/" + _PARAM.sub(fill, route).lstrip("/"))
    return paths


def _findings_in(body: str, who: str, role: str | None, path: str, other_site: dict[str, list[str]],
                 texts: set[str], trial_unblinded: bool) -> list[str]:
    public = path.lstrip("/").startswith(PUBLIC_PREFIXES)
    policy = get_policy()
    opened = (trial_unblinded and role is not None
              and policy.role(role).sees_arm == "after_unblinding")
    if opened:
        return []  # the final unblinding opened the arms to this role (the analyst)
    if public or role is None or not policy.sees_any_arm(role):
        if public:
            return [s for s in other_site["all"] if s in body]
        return find_leaks(body, texts)
    if policy.is_site_scoped(role):
        return [s for s in other_site[who] if s in body]
    return []  # sees every arm (DSMB statistician)


def run_matrix(viewers: dict[str, tuple[Client, str | None]], samples: dict[str, list[str]],
               other_site: dict[str, list[str]], *, trial_unblinded: bool = False,
               secrets: Sequence[Secret] = (),
               paths: Callable[[str], bool] | None = None) -> list[Finding]:
    """Request every route (GET) and every API operation (its method, empty JSON) as each viewer.

    ``trial_unblinded``: the final unblinding was approved, so roles that see arms "after
    unblinding" may; every other blinded role must still see none. ``secrets``: facts besides
    the arms, each found in a response by its own rule and allowed to the viewers it names.
    ``paths``: only the paths it accepts are requested (a suite that judges one app's pages
    over its own records; tests/web/test_web_blinding_matrix.py requests them all).
    """
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    anonymous = Client()
    requests = [("GET", path) for route in sorted(set(url_routes()))
                for path in concrete_paths(route, samples)]
    requests += [(method, path) for method, route in openapi_operations(anonymous)
                 for path in concrete_paths(route, samples)]
    requests = [(method, path) for method, path in dict.fromkeys(requests)
                if paths is None or paths(path)]
    findings = []
    for who, (client, role) in viewers.items():
        for method, path in requests:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.generic(method, path, data="{}", content_type="application/json")
            body = response.content.decode("utf-8", errors="replace")
            if response.status_code >= 500:
                findings.append(Finding(who, method, path, response.status_code, ["server error"]))
                continue
            what = _findings_in(body, who, role, path, other_site, texts, trial_unblinded)
            what += [f"{secret.name}: {shown}" for secret in secrets
                     if not secret.may_see(who, role) for shown in secret.found(body)]
            if what:
                findings.append(Finding(who, method, path, response.status_code, what))
    return findings


def build_viewers(users: dict[str, Any]) -> dict[str, tuple[Client, str | None]]:
    """Return a signed-in client per user (and an anonymous one), with the user's role."""
    viewers: dict[str, tuple[Client, str | None]] = {"anonymous": (Client(), None)}
    for username, user in users.items():
        viewers[username] = (signed_in_client(user), user.memberships.get().role)
    return viewers
