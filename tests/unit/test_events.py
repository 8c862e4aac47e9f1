from datetime import UTC, datetime

import pytest

from shared.events import CloudEvent, EnvelopeError


def make_event(**overrides):
    values = dict(
        type="amparo.registry.household.registered.v1",
        source="/amparo/registry",
        subject="2f1c1b1e-0000-4000-8000-000000000001",
        data={"household_id": "2f1c1b1e-0000-4000-8000-000000000001", "version": 1},
        correlationid="corr-1",
    )
    values.update(overrides)
    return CloudEvent(**values)


def test_round_trip_keeps_every_attribute():
    event = make_event()
    again = CloudEvent.from_json(event.to_json())
    assert again == event
    assert again.specversion == "1.0"
    assert again.time.tzinfo is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"correlationid": None},
        {"data": {"é": ["ñ", 1.5, None, {"nested": True}], "n": 3}},
        {"time": datetime(2026, 11, 20, 12, 0, 0, 123, tzinfo=UTC)},
    ],
)
def test_serialised_bytes_are_what_the_schema_dumps(overrides):
    import json

    from shared.events import CloudEventSchema

    event = make_event(**overrides)
    assert event.to_json() == json.dumps(CloudEventSchema().dump(event), separators=(",", ":")).encode()


def test_serialised_form_is_cloudevents_json():
    import json

    document = json.loads(make_event().to_json())
    assert set(document) >= {
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "data",
        "correlationid",
    }
    assert document["datacontenttype"] == "application/json"


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda d: d.pop("id"), "/id"),
        (lambda d: d.update(specversion="0.3"), "/specversion"),
        (lambda d: d.update(type="HouseholdRegistered"), "/type"),
        (lambda d: d.update(time="2026-11-22T10:00:00"), "/time"),
        (lambda d: d.update(data=[1, 2]), "/data"),
        (lambda d: d.update(surprise=1), "/surprise"),
    ],
)
def test_invalid_envelopes_name_the_attribute(mutate, pointer):
    import json

    document = json.loads(make_event().to_json())
    mutate(document)
    with pytest.raises(EnvelopeError) as caught:
        CloudEvent.from_json(json.dumps(document))
    assert pointer in [e.pointer for e in caught.value.errors]
    assert pointer in str(caught.value)


def test_non_json_is_refused_clearly():
    with pytest.raises(EnvelopeError, match="not JSON"):
        CloudEvent.from_json(b"\xff\xfe not json")
    with pytest.raises(EnvelopeError, match="not a JSON object"):
        CloudEvent.from_json(b"[1]")


def test_each_event_gets_a_unique_id_and_an_aware_time():
    a, b = make_event(), make_event()
    assert a.id != b.id
    assert a.time <= datetime.now(UTC)


def test_exposure_chunks_stay_inside_one_kafka_record_whatever_the_area_names():
    """5 000 households of an alert whose area has a long name were over a megabyte in one chunk."""
    import json

    from services.alerts.service_layer.exposures import chunked, exposure_events
    from shared.contracts.alerts import CHUNK_BYTES, CHUNK_SIZE
    from shared.outbox import MAX_EVENT_BYTES

    area = (
        "La Altagracia, El Seibo, Hato Mayor, San Pedro de Macorís, La Romana, Samaná, María Trinidad Sánchez"
    )
    households = [
        {"household_id": f"{n:036d}", "area": area, "band": "Extreme", "near_edge": False}
        for n in range(12_000)
    ]
    events = exposure_events(
        "incident", {"incident_id": "incident", "version": 1}, households, {"households": 12_000}
    )
    chunks = [e for e in events if e.type.endswith("chunk.v1")]
    assert all(len(e.to_json()) <= MAX_EVENT_BYTES for e in events)
    assert [h for e in chunks for h in e.data["households"]] == households
    assert {e.data["chunks"] for e in events} == {len(chunks)} and len(chunks) > 12_000 // CHUNK_SIZE
    assert chunked([], CHUNK_SIZE, CHUNK_BYTES) == []
    small = [{"household_id": str(n)} for n in range(12_000)]
    assert [len(c) for c in chunked(small, CHUNK_SIZE, CHUNK_BYTES)] == [5000, 5000, 2000]
    assert all(
        len(json.dumps(c).encode()) <= CHUNK_BYTES + len(c)
        for c in chunked(households, CHUNK_SIZE, CHUNK_BYTES)
    )
