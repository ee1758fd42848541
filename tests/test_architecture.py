"""The shape of the code (STYLE.md "Feature packages"): a module never imports another feature's views, and no module
grows past MAX_LINES. Read from the source with `ast`, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "households", "surveys", "dedupe", "dci", "offline")
MAX_LINES = 400
# Modules still being split (issue 10); the list only shrinks. Each entry: path → what it waits for.
TOO_LONG_FOR_NOW = {}
# Crossings still to undo (issue 10), each with where the shared piece belongs; the list only shrinks.
KNOWN_CROSSINGS = {}


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every Python module of the apps (migrations aside)."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def is_view_module(name: str) -> bool:
    """views.py, views_*.py, or a module of a views/ package."""
    parts = name.split(".")
    return any(p == "views" or p.startswith("views_") for p in parts)


def feature_of(name: str, path: Path) -> str:
    """The package a module belongs to (surveys.approval, surveys.reports, surveys.imports, households, core, …); a
    views/ package belongs to the package above it."""
    parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    while parts and (parts[-1] == "views" or parts[-1].startswith("views_")):
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(name: str, path: Path) -> set[str]:
    """The app modules `name` imports, at the top or inside a function (`from x import y` counts x, and x.y when
    y is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in out if m in MODULES}


def test_the_scan_sees_the_feature_packages():
    assert is_view_module("surveys.approval.views") and is_view_module("households.views_quality")
    assert not is_view_module("surveys.approval.selectors")
    assert feature_of("surveys.approval.views_print", MODULES["surveys.approval.views_print"]) == "surveys.approval"
    assert feature_of("households.views", MODULES["households.views"]) == "households"
    assert {"surveys.approval.selectors", "surveys.reports.tables", "surveys.imports.views"} <= MODULES.keys()


def test_no_module_imports_another_features_views():
    """Shared reads live in selectors (and view helpers in decorators or small helper modules), never in a view
    module another feature reaches into; a feature's urls may import its own views."""
    crossings = []
    for name, path in MODULES.items():
        mine = feature_of(name, path)
        for target in imported_modules(name, path):
            if is_view_module(target) and feature_of(target, MODULES[target]) != mine:
                crossings.append(f"{name} imports {target}")
    unexpected = sorted(c for c in crossings if c not in KNOWN_CROSSINGS)
    assert not unexpected, "\n".join(unexpected)
    undone = sorted(c for c in KNOWN_CROSSINGS if c not in crossings)
    assert not undone, f"no longer crossing, remove from KNOWN_CROSSINGS: {undone}"


def test_modules_stay_under_the_line_limit():
    long = {}
    for path in MODULES.values():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_LINES:
            long[path.relative_to(ROOT).as_posix()] = lines
    unexpected = {p: n for p, n in long.items() if p not in TOO_LONG_FOR_NOW}
    assert not unexpected, f"modules of {MAX_LINES} lines or more: {unexpected}"
    # A module that got under the limit leaves the allow-list (so the list only shrinks).
    done = sorted(p for p in TOO_LONG_FOR_NOW if p not in long)
    assert not done, f"under {MAX_LINES} lines now, remove from TOO_LONG_FOR_NOW: {done}"


@pytest.mark.parametrize(
    "old",
    [
        "surveys/approval.py",
        "surveys/views_approval.py",
        "surveys/reports.py",
        "surveys/views_reports.py",
        "surveys/official_forms.py",
        "surveys/flows.py",
        "surveys/maps.py",
        "surveys/simulation.py",
        "surveys/export_jobs.py",
        "surveys/urls_approval.py",
        "surveys/urls_reports.py",
        "surveys/views_monthly.py",
    ],
)
def test_features_live_in_their_packages(old):
    assert not (ROOT / old).exists(), f"{old} moved into its feature package"
