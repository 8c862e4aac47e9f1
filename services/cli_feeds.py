"""``amparo feeds``: follow a CAP feed, list those followed, stop following one — on the alerts
service's database, as its settings name it (the running service reads them)."""

from __future__ import annotations

import click

from services.settings import settings_for
from shared.auth import CIVIL_PROTECTION, Principal
from shared.config import ConfigError


def _units_of_work():  # type: ignore[no-untyped-def]
    from services.alerts.adapters.orm import outbox
    from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
    from shared import db

    try:
        settings = settings_for("alerts")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    sessions = db.make_session_factory(db.make_engine(settings.database_url))
    return lambda: AlertsUnitOfWork(sessions, outbox)


@click.group()
def feeds() -> None:
    """Follow agencies' CAP feeds (Atom or RSS 2.0)."""


@feeds.command("add")
@click.argument("url")
@click.option("--sender", required=True, help="Who publishes it, as people call them (e.g. COPECO).")
@click.option(
    "--jurisdiction",
    multiple=True,
    required=True,
    help="Areas its messages may alert (admin codes, or * for every area); repeat for several.",
)
@click.option("--interval", type=int, default=60, show_default=True, help="Seconds between reads (30–86400).")
@click.option("--allow-host", multiple=True, help="Another host its entries may link to; repeat for several.")
@click.option("--by", default="amparo-cli", show_default=True, help="Who follows it, for the audit log.")
def add(
    url: str, sender: str, jurisdiction: tuple[str, ...], interval: int, allow_host: tuple[str, ...], by: str
) -> None:
    """Follow a feed: the alerts service reads it every INTERVAL seconds."""
    from services.alerts.service_layer.feeds import AddFeed, add_feed
    from shared.errors import InvalidInput

    officer = Principal(by, frozenset({CIVIL_PROTECTION}), jurisdiction)
    try:
        feed = add_feed(AddFeed(url, sender, interval, allow_host, officer), _units_of_work()())
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"following {feed.url} ({feed.sender}) every {feed.interval_seconds} s as feed {feed.id}")


@feeds.command("list")
def listed() -> None:
    """Every feed followed, with when it was last read and what came of it."""
    from services.alerts.service_layer.feeds import list_feeds

    for feed in list_feeds(_units_of_work()(), ("*",)):
        when = feed.last_fetch_at.isoformat() if feed.last_fetch_at else "not yet read"
        state = f"error: {feed.last_error}" if feed.last_error else f"{feed.taken} messages taken"
        click.echo(f"{feed.id}  {feed.sender}  {feed.url}  every {feed.interval_seconds} s  {when}  {state}")


@feeds.command("remove")
@click.argument("feed_id")
def remove(feed_id: str) -> None:
    """Stop following a feed (the messages taken stay)."""
    from services.alerts.service_layer.feeds import FeedNotFound, stop_following

    try:
        stop_following(
            feed_id, Principal("amparo-cli", frozenset({CIVIL_PROTECTION}), ("*",)), _units_of_work()()
        )
    except FeedNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"feed {feed_id} is no longer followed")
