"""``amparo registry``: the registry's operator commands, on its database as its settings name it
(the running service's relay publishes what they write to its outbox)."""

from __future__ import annotations

from datetime import date

import click

from services.settings import settings_for
from shared.config import ConfigError


@click.group()
def registry() -> None:
    """Operate the household registry."""


@registry.command("refresh-snapshots")
@click.option(
    "--day",
    default=None,
    help="The day (YYYY-MM-DD, UTC) to count ages and scores on; default today. Not a day to come.",
)
def refresh_snapshots(day: str | None) -> None:
    """Publish again the snapshots that time changed (birthdays, weights taking effect) up to a day.

    The registry runs the same pass every day; running it again for a day publishes nothing twice.
    """
    from services.registry.adapters.config_files import load_admin_reference, load_index
    from services.registry.adapters.orm import outbox
    from services.registry.adapters.reference import StoredReference
    from services.registry.service_layer import snapshots
    from services.registry.service_layer.common import utc_now
    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
    from shared import db

    try:
        settings = settings_for("registry")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        wanted = date.fromisoformat(day) if day else utc_now().date()
    except ValueError as exc:
        raise click.BadParameter(f"{day!r} is not a date YYYY-MM-DD", param_hint="--day") from exc
    engine = db.make_engine(settings.database_url)
    sessions = db.make_session_factory(engine)
    weights = StoredReference(sessions, load_index(), load_admin_reference())
    try:
        report = snapshots.refresh_snapshots(
            wanted, lambda: RegistryUnitOfWork(sessions, outbox), weights, utc_now
        )
    except snapshots.DayNotCome as exc:
        raise click.BadParameter(str(exc), param_hint="--day") from exc
    finally:
        engine.dispose()
    applied = ", ".join(report.weight_sets_applied) or "none"
    click.echo(
        f"snapshots of {report.day}: {report.looked_at} households due looked at, "
        f"{report.published} published again; weight sets taking effect: {applied}"
    )


@registry.command("damage-form")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def damage_form(path: str) -> None:
    """Write the damage and needs form (XLSForm, for KoboToolbox or ODK) whose submissions the
    registry imports as they are exported."""
    from pathlib import Path

    from services.registry.adapters.damage_form import write_damage_form

    click.echo(f"damage and needs form written to {write_damage_form(Path(path))}")
