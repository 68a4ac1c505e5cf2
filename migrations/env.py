"""Alembic environment: migrates the database named by the caller or DATABASE_URL."""
from __future__ import annotations

from alembic import context

from config import get_config
from workflow.adapters.database import make_engine
from workflow.adapters.tables import metadata
import workflow.adapters.tables_followup  # noqa: F401  (registers its tables on metadata)
import workflow.adapters.tables_files  # noqa: F401  (registers its tables on metadata)
import workflow.adapters.tables_online  # noqa: F401  (registers its tables on metadata)
import workflow.adapters.tables_fees  # noqa: F401  (registers the fee and payment tables)
import workflow.adapters.tables_originals  # noqa: F401  (registers the originals transfers)
import workflow.adapters.tables_surveys  # noqa: F401  (registers the survey tables)
import workflow.adapters.tables_reports  # noqa: F401  (registers the report rollup)

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_config().DATABASE_URL


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
