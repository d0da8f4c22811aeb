"""Layering rules that keep the pipeline readable: each library has one home, and each layer
imports only the layers below it.

    core        values, errors, the merge and name rules: imports nothing of ours, no library
    scrapers    fetch and parse           -> core
    storage     SQLAlchemy, migrations    -> core
    digest      the pure middle           -> core
    delivery    SMTP, outbox, git         -> core
    config      environment, toml file    -> core, delivery (SMTP settings)
    app         the use cases             -> everything above, no Prefect
    flows       Prefect flows, serve      -> app and below
    web         the readers' web app      -> app and below, no Prefect
    cli         the command line          -> everything
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "paperpulse"
LAYERS = {
    "core": set(),
    "scrapers": {"core"},
    "storage": {"core"},
    "digest": {"core"},
    "delivery": {"core"},
    "config": {"core", "delivery"},
    "app": {"core", "scrapers", "storage", "digest", "delivery", "config"},
    "flows": {"core", "scrapers", "storage", "digest", "delivery", "config", "app"},
    "web": {"core", "scrapers", "storage", "digest", "delivery", "config", "app"},
    "cli": {"core", "scrapers", "storage", "digest", "delivery", "config", "app", "flows"},
}
# library -> the only layer allowed to import it
HOMES = {"prefect": "flows", "sqlalchemy": "storage", "alembic": "storage"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "api"


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) != "api")


def test_every_layer_is_declared() -> None:
    found = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert found == set(LAYERS), "declare the new layer in LAYERS with what it may import"


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_layers_import_only_the_layers_below(path: Path) -> None:
    layer = layer_of(path)
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert top != "tests" and top != "bench", f"{path} imports {module}"
        if top == "paperpulse":
            target = module.split(".")[1] if "." in module else "api"
            assert target == layer or target in LAYERS[layer], (
                f"{path.relative_to(ROOT)} ({layer}) imports {module}; "
                f"{layer} may import only {sorted(LAYERS[layer]) or 'nothing of ours'}"
            )
        elif top in HOMES:
            assert HOMES[top] == layer, (
                f"{path.relative_to(ROOT)} imports {top}, which belongs in paperpulse/{HOMES[top]}/"
            )


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: p.name)
def test_the_core_needs_nothing_but_the_standard_library(path: Path) -> None:
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or module.startswith("paperpulse.core"), (
            f"paperpulse/core/{path.name} imports {module}: the core imports only the standard "
            "library and itself"
        )


# The environment is read in one place. Exceptions, each for a reason:
ENVIRONMENT_READERS = {
    "config/settings.py": "Settings.from_env: every variable README.md lists",
    # Prefect's own variables, set (and PREFECT_API_URL looked at) before Prefect is imported.
    "cli/prefect_env.py": "Prefect settings before import",
    "delivery/git_archive.py": "hands the environment on to each git subprocess",
}
_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in _ENV_NAMES) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in _ENV_NAMES for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_only_settings_reads_the_environment(path: Path) -> None:
    name = path.relative_to(PACKAGE).as_posix()
    if name in ENVIRONMENT_READERS:
        return
    lines = environment_uses(path)
    assert not lines, (
        f"paperpulse/{name} reads the environment (line {', '.join(map(str, lines))}); add the "
        "variable to Settings.from_env in config/settings.py and take it from the settings"
    )


def test_the_environment_allow_list_is_still_needed() -> None:
    for name in ENVIRONMENT_READERS:
        assert environment_uses(PACKAGE / name), f"{name} no longer reads the environment"


CLOCK = "core/clock.py"
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}
WALL_CLOCK_CALLS |= {("date", "today")}


def wall_clock_reads(path: Path) -> list[int]:
    """Lines calling ``datetime.now()``, ``date.today()`` and the like."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in WALL_CLOCK_CALLS
    )


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_clock_reads_the_wall_clock(path: Path) -> None:
    """A run's moments come from its clock (``PAPERPULSE_NOW`` moves it for a whole life of
    processes); a stray ``datetime.now()`` would put one moment on another clock."""
    name = path.relative_to(PACKAGE).as_posix()
    lines = [] if name == CLOCK else wall_clock_reads(path)
    assert not lines, (
        f"paperpulse/{name} reads the wall clock (line {', '.join(map(str, lines))}); take the "
        "time from the run's clock (ctx.now(), settings.clock) or core.clock.utc_now()"
    )


def test_the_wall_clock_check_sees_a_stray_read(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text("from datetime import date, datetime\nx = datetime.now()\ny = date.today()\n")
    assert wall_clock_reads(stray) == [2, 3]
    assert wall_clock_reads(PACKAGE / CLOCK), "the clock itself reads the wall clock"
