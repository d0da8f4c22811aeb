"""One redaction: every secret becomes the one mask, the longest secret first."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest

from paperpulse.core.redaction import (
    MASK,
    SecretFilter,
    hide_url_credentials,
    redact,
    redact_bytes,
    url_secrets,
)


def test_a_secret_containing_another_is_masked_whole() -> None:
    # Masking the shorter one first would leave "***-suffix" and leak the suffix.
    text = "token abc and abc-suffix"
    assert redact(text, ["abc", "abc-suffix"]) == f"token {MASK} and {MASK}"
    assert redact(text, ["", "abc-suffix"]) == f"token abc and {MASK}"
    assert redact_bytes(text.encode(), ["abc-suffix", "abc"]) == f"token {MASK} and {MASK}".encode()


def test_a_secret_urls_long_parts_are_secret_too() -> None:
    url = "slack://T0001/B0002/xoxb-very-secret"
    secrets = url_secrets(url)
    assert secrets[0] == url
    assert "xoxb-very-secret" in secrets and "T0001" not in secrets  # short parts stay
    assert redact(f"failed: {url}; retry xoxb-very-secret", secrets) == (
        f"failed: {MASK}; retry {MASK}"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("push to https://x-token:ghp_SECRET@github.com/a/b.git failed",
         f"push to https://{MASK}@github.com/a/b.git failed"),
        ("https://ghp_SECRET@github.com/a", f"https://{MASK}@github.com/a"),
        ("postgresql+psycopg://user:pa/ss@host:notaport/db",
         f"postgresql+psycopg://{MASK}@host:notaport/db"),
        ("fatal: 'https://github.com/a/b.git/' not found for ada@example.org",
         "fatal: 'https://github.com/a/b.git/' not found for ada@example.org"),
    ],
)  # fmt: skip
def test_credentials_in_urls_are_hidden(text: str, shown: str) -> None:
    assert hide_url_credentials(text) == shown
    assert "SECRET" not in hide_url_credentials(text) and "pa/ss" not in hide_url_credentials(text)


def test_the_filter_masks_registered_secrets_in_log_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.core.redaction")
    masking = SecretFilter(["s3cret"])
    masking.register(["s3cret-longer"])
    logger.addFilter(masking)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("header %s and %s", "s3cret-longer", "s3cret")
            logger.info("nothing to hide: %d", 42)
    finally:
        logger.removeFilter(masking)
    assert [r.getMessage() for r in caplog.records] == [
        f"header {MASK} and {MASK}",
        "nothing to hide: 42",
    ]


def test_no_other_module_masks_secrets_its_own_way() -> None:
    """One mask: a module that writes its own ("***", "[token]") has copied the redaction."""
    package = Path(__file__).resolve().parents[2] / "paperpulse"
    own = package / "core" / "redaction.py"
    copies = [
        f"{path.relative_to(package)}:{node.lineno}"
        for path in sorted(package.rglob("*.py"))
        if path != own
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"\*\*\*|\[token\]|\[redacted\]", node.value, re.IGNORECASE)
    ]
    assert not copies, f"use paperpulse.core.redaction instead: {copies}"
