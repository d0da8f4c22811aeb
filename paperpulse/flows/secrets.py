"""Secrets kept in Prefect blocks (deployments keep the SMTP password there, not in the
environment): read on first use by the run context (``app.context.Context.smtp``)."""

from __future__ import annotations


def prefect_secret(name: str) -> str:
    from prefect.blocks.system import Secret

    return str(Secret.load(name).get())  # type: ignore[union-attr]
