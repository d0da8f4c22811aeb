"""The command line: every command describes itself and is documented in the README."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paperpulse.cli.main import main
from paperpulse.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[2]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[f"{prefix}{name}"] = sub
                    walk(sub, f"{prefix}{name} ")

    walk(parser, "")
    return found


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    sub = subcommands()[command]
    assert sub.description and len(sub.description) > 20, f"{command} lacks a description"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"paperpulse {command}" in readme, f"`paperpulse {command}` is not in README.md"


def test_the_installed_console_script_lists_every_command_with_its_summary() -> None:
    """``pip install`` puts ``paperpulse`` beside the interpreter; its help is this parser's."""
    script = shutil.which("paperpulse", path=str(Path(sys.executable).parent))
    assert script, "no `paperpulse` script beside the interpreter: run `pip install -e .`"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: paperpulse ")
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = {
        line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1]
        for line in result.stdout.splitlines()
        if line.startswith("    ") and len(line.split(maxsplit=1)) == 2
    }
    summaries = {c.dest: c.help for c in commands._choices_actions}
    assert listed == summaries and len(summaries) >= 8


def test_bad_date_is_a_usage_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--date", "2024-13-45"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "not a date" in err and "Traceback" not in err
