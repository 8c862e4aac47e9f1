"""Prometheus metrics of one service process, kept in the process's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The counters every service exposes at ``/metrics``.

    Each process (and each app built in a test) gets its own registry, so building two apps in
    one interpreter never collides.
    """

    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.service = service
        self.http_requests = Counter(
            "amparo_http_requests_total",
            "HTTP requests served",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "amparo_http_request_seconds",
            "HTTP request latency",
            ["method", "endpoint"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "amparo_outbox_published_total",
            "Outbox events published to Kafka",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_publish_failures = Counter(
            "amparo_outbox_publish_failures_total",
            "Relay rounds that failed to publish",
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "amparo_outbox_pending", "Outbox events not yet published", registry=self.registry
        )
        self.broker_resets = Counter(
            "amparo_outbox_broker_resets_total",
            "Times the broker was found to have lost published events (republished from the outbox)",
            ["topic"],
            registry=self.registry,
        )
        self.inbox_events = Counter(
            "amparo_inbox_events_total",
            "Consumed events by outcome: applied, duplicate, stale, dead_lettered",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.consumer_retries = Counter(
            "amparo_consumer_retries_total",
            "Times a consumer backed off after a transient error",
            ["topic"],
            registry=self.registry,
        )
