"""``alerts.alerts`` and ``alerts.exposures``: incidents and the households they expose."""

from __future__ import annotations

SOURCE = "/amparo/alerts"
ALERT_ISSUED = "amparo.alerts.alert.issued.v1"
ALERT_UPDATED = "amparo.alerts.alert.updated.v1"
ALERT_CANCELLED = "amparo.alerts.alert.cancelled.v1"
ALERT_EXPIRED = "amparo.alerts.alert.expired.v1"
EXPOSURE_CHUNK = "amparo.alerts.exposure.chunk.v1"
EXPOSURE_COMPLETED = "amparo.alerts.exposure.completed.v1"
#: Households per exposure chunk: never one giant message, never one message per household.
CHUNK_SIZE = 5000
#: And at most this much JSON of households per chunk, well inside one Kafka record (an area
#: named at length, repeated for each household, makes 5 000 households over a megabyte).
CHUNK_BYTES = 600_000
