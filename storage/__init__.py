"""Where papers, runs, sightings and deliveries are kept (SQLite by default, or PostgreSQL).

engine = create_engine()        # $PAPERPULSE_DATABASE_URL or sqlite:///./data/paperpulse.db
upgrade(engine)                 # create / migrate the schema; cheap when already current
repo = Repository(engine)       # values in, values out; SQLAlchemy stays in this package
"""

from storage.db import (
    DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
    check_connection,
    create_engine,
    database_url_from_env,
)
from storage.merge import author_key
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.records import DeliveryRecord, SaveResult
from storage.repository import Repository

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "DeliveryRecord",
    "Repository",
    "SaveResult",
    "author_key",
    "check_connection",
    "create_engine",
    "current_revision",
    "database_url_from_env",
    "downgrade",
    "head_revision",
    "upgrade",
]
