"""The lock file pins every dependency pyproject.toml names, at a version pyproject allows
(scripts/demo, scripts/test and CI install with it as pip's constraints: issue 20)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#")) and "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        names += extra
    return [Requirement(name) for name in names
            if canonicalize_name(Requirement(name).name) != "trialdesk"]


def test_every_declared_dependency_is_pinned_at_a_version_it_allows():
    pins = _pins()
    missing = [str(r) for r in _declared() if canonicalize_name(r.name) not in pins]
    assert not missing, f"not in requirements.lock (run scripts/lock-deps): {missing}"
    outside = [f"{r} (locked {pins[canonicalize_name(r.name)]})" for r in _declared()
               if pins[canonicalize_name(r.name)] not in r.specifier]
    assert not outside, f"requirements.lock pins versions pyproject.toml refuses: {outside}"


def test_the_install_scripts_use_the_lock():
    for script in ("scripts/test", "scripts/demo"):
        text = (ROOT / script).read_text()
        assert "-c requirements.lock" in text, script


def test_postgres_driver_is_an_extra_not_a_requirement_of_every_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(canonicalize_name(Requirement(r).name) == "psycopg"
                   for r in project["dependencies"])
    assert any(canonicalize_name(Requirement(r).name) == "psycopg"
               for r in project["optional-dependencies"]["postgres"])
