"""Layering rules that keep the pipeline readable: each library has one home."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scrapers", "storage", "digest", "flows", "delivery")

# library -> the only top-level package allowed to import it
HOMES = {"prefect": "flows", "sqlalchemy": "storage", "alembic": "storage"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def source_files() -> list[Path]:
    return [p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py")]


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_libraries_are_imported_only_in_their_home(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    for library in imported_modules(path) & HOMES.keys():
        assert HOMES[library] == package, (
            f"{path.relative_to(ROOT)} imports {library}, which belongs in {HOMES[library]}/"
        )


@pytest.mark.parametrize("package", ["scrapers", "digest"])
def test_the_pure_packages_do_not_reach_into_io_layers(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        forbidden = imported_modules(path) & {"storage", "flows", "delivery"}
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"
