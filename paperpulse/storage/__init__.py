"""Where papers, runs, sightings and deliveries are kept (SQLite by default, or PostgreSQL).

engine = create_engine(url)     # e.g. Settings.database_url; sqlite:///./data/paperpulse.db
upgrade(engine)                 # create / migrate the schema; cheap when already current
repo = Repository(engine)       # values in, values out; SQLAlchemy stays in this package
"""

from paperpulse.core.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL
from paperpulse.storage.db import check_connection, create_engine
from paperpulse.storage.migrate import current_revision, downgrade, head_revision, upgrade
from paperpulse.storage.records import DeliveryRecord, SaveResult
from paperpulse.storage.repository import Repository

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "DeliveryRecord",
    "Repository",
    "SaveResult",
    "check_connection",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]
