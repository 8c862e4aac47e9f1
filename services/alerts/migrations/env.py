from alembic import context

from services.alerts.adapters.orm import metadata
from shared.alembic_env import run_migrations

run_migrations(context, metadata)
