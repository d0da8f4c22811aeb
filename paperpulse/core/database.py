"""Where the database is when nobody says: settings fall back to it, storage opens it."""

from __future__ import annotations

DATABASE_URL_ENV = "PAPERPULSE_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///./data/paperpulse.db"
