"""A unit of work for transfers' handlers that keeps everything in memory: batches, payments,
files, programmes, incidents, exposures and evaluations, committed when the block ends cleanly."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from services.transfers.domain.deciding import Holding
from services.transfers.domain.exposures import PartRecord
from services.transfers.domain.payments import Payment
from services.transfers.domain.programme_versions import ProgrammeVersion
from shared.contracts.household_groups import COUNTED_GROUPS
from tests.transfers_world import TORMENTA

PROGRAMME = ProgrammeVersion(
    "prog-1", 1, TORMENTA["name"], TORMENTA, "officer-ana", datetime.now(UTC), "approved", "approver-luis"
)


# -- the fakes ------------------------------------------------------------------------------------


class FakeBatches:
    def __init__(self):
        self.rows = {}
        self.audit = []

    def get(self, batch_id, lock=False):
        found = self.rows.get(batch_id)
        return copy.deepcopy(found) if found else None

    def of_incident(self, incident_id):
        return [copy.deepcopy(b) for _, b in sorted(self.rows.items()) if b.incident_id == incident_id]

    def newest(self, incident_id, state, limit=200):
        return [copy.deepcopy(b) for b in self.rows.values() if state in (None, b.state)]

    def count_for(self, programme_id, incident_id):
        return sum(
            b.programme_id == programme_id and b.incident_id == incident_id for b in self.rows.values()
        )

    def scopes_holding(self, end_to_end_ids):
        return {b.id: b.admin_scope for b in self.rows.values()}

    def add(self, batch):
        self.rows[batch.id] = replace(batch, changes=[])

    def save(self, batch):
        self.rows[batch.id] = replace(batch, changes=[])

    def counts(self, batch_id):
        return {}, {}

    def trail(self, batch_id):
        return [e for e in self.audit if e["subject_id"] == batch_id]


class FakePayments:
    def __init__(self):
        self.rows: dict[str, Payment] = {}

    def _copies(self, found):
        return [copy.deepcopy(p) for p in found]

    def add_proposed(self, proposed):
        for p in proposed:
            held = [
                q
                for q in self.rows.values()
                if q.is_live
                and (q.programme_id, q.incident_id, q.household_id)
                == (p.programme_id, p.incident_id, p.household_id)
            ]
            assert not held or not p.is_live, f"a second live payment for {p.household_id}"
            self.rows[p.id] = copy.deepcopy(p)

    def of_batch(self, batch_id, state=None, channel_type=None, lock=False):
        return self._copies(
            p
            for p in self.rows.values()
            if p.batch_id == batch_id and state in (None, p.state) and channel_type in (None, p.channel_type)
        )

    def named(self, batch_id, payment_ids, lock=False):
        return self._copies(p for p in self.rows.values() if p.batch_id == batch_id and p.id in payment_ids)

    def by_end_to_end_id(self, ids):
        return {p.end_to_end_id: copy.deepcopy(p) for p in self.rows.values() if p.end_to_end_id in ids}

    def live_successor(self, payment_id):
        found = [p for p in self.rows.values() if p.replaces == payment_id and p.is_live]
        return copy.deepcopy(found[0]) if found else None

    def pre_approved_so_far(self, programme_id, incident_ids):
        return sum(
            (
                p.amount
                for p in self.rows.values()
                if p.is_live and p.incident_id in incident_ids and p.state != "proposed"
            ),
            Decimal("0"),
        )

    def households_holding(self, programme_id, incident_ids, states, since=None):
        found = {}
        for p in sorted(self.rows.values(), key=lambda p: p.created_at):
            recent = since is not None and p.created_at >= since
            wanted = p.incident_id in incident_ids or recent
            if p.programme_id == programme_id and p.state in states and wanted:
                found.setdefault(p.household_id, []).append(p)
        holding = {}
        for household, held in found.items():
            live = [p for p in held if p.is_live and p.incident_id in incident_ids]
            part = max((p.entitlement_part for p in live), default=0) + 1
            holding[household] = Holding(held[0].id, float(sum(p.amount for p in live)), part)
        return holding

    def committed(self, programme_id, incident_ids):
        return sum(
            (
                p.amount
                for p in self.rows.values()
                if p.is_live
                and p.programme_id == programme_id
                and (incident_ids is None or p.incident_id in incident_ids)
            ),
            Decimal("0"),
        )

    def held_twice(self, incident_ids):
        by = {}
        for p in sorted(self.rows.values(), key=lambda p: (p.created_at, p.id)):
            if p.is_live and p.incident_id in incident_ids:
                by.setdefault((p.programme_id, p.household_id), []).append(copy.deepcopy(p))
        return [
            (programme, household, found) for (programme, household), found in by.items() if len(found) > 1
        ]

    def states_in(self, batch_id):
        return [p.state for p in self.rows.values() if p.batch_id == batch_id and p.state != "withdrawn"]

    def count(self, batch_id, state):
        return len(self.of_batch(batch_id, state))

    def move(self, batch_id, from_state, to_state, reason, at):
        moved = []
        for p in self.rows.values():
            if p.batch_id == batch_id and p.state == from_state:
                p.state = to_state
                p.reason = reason if reason is not None else p.reason
                moved.append(copy.deepcopy(p))
        return moved

    def save_all(self, many):
        for p in many:
            self.rows[p.id] = copy.deepcopy(p)

    def put_in_file(self, many, file_id, at):
        for p in many:
            assert self.rows[p.id].state == "approved"
            p.state, p.instruction_file_id = "instructed", file_id
            self.rows[p.id] = copy.deepcopy(p)

    def note_reasons(self, reasons):
        for payment_id, why in reasons.items():
            self.rows[payment_id].reason = why


class FakeFiles:
    def __init__(self):
        self.rows = {}

    def add(self, file):
        self.rows[file.id] = file

    def get(self, file_id):
        return self.rows.get(file_id)

    def of_batch(self, batch_id):
        return sorted((f for f in self.rows.values() if f.batch_id == batch_id), key=lambda f: f.created_at)


class FakeProgrammes:
    def __init__(self, *versions):
        self.rows = {(v.id, v.version): v for v in versions}

    def get(self, programme_id, version=None):
        if version is None:
            found = [v for (i, _), v in self.rows.items() if i == programme_id]
            return max(found, key=lambda v: v.version) if found else None
        return self.rows.get((programme_id, version))

    def latest(self):
        return [self.get(i) for i in sorted({i for i, _ in self.rows})]

    def in_force(self):
        approved = {}
        for (programme_id, _version), found in sorted(self.rows.items()):
            if found.state == "approved":
                approved[programme_id] = found
        return list(approved.values())

    def add(self, version):
        self.rows[version.id, version.version] = version

    def lock(self, programme_id):
        pass


class FakeIncidents:
    def __init__(self):
        self.rows = {}

    def get(self, incident_id, lock=False):
        return self.rows.get(incident_id)

    def save(self, incident, new):
        assert new == (incident.incident_id not in self.rows)
        self.rows[incident.incident_id] = incident


class FakeExposures:
    """Exposures, their parts and chunks, and the households accepted into each, with the
    attributes transfers holds (``attributes``: household id to a dict of its attributes)."""

    def __init__(self, attributes):
        self.attributes = attributes
        self.rows = {}
        self.parts_by_key = {}
        self.chunks = {}
        self.staged = {}
        self.exposed = {}
        self.received = {}

    def get(self, key):
        return self.rows.get(key)

    def add(self, exposure, at):
        assert exposure.exposure_key not in self.rows
        self.rows[exposure.exposure_key] = exposure
        self.received[exposure.exposure_key] = at
        self.parts_by_key[exposure.exposure_key] = {}
        self.exposed[exposure.exposure_key] = {}

    def save_status(self, exposure, at):
        self.rows[exposure.exposure_key] = exposure

    def keys_of(self, incident_id):
        return [k for k, e in self.rows.items() if e.incident_id == incident_id]

    def first_received(self, incident_id):
        return min((self.received[k] for k in self.keys_of(incident_id)), default=None)

    def decided_footprints(self, incident_id):
        return sorted(
            k
            for k, e in self.rows.items()
            if e.incident_id == incident_id and e.status == "decided" and e.footprint_id is not None
        )

    def decided_keys(self, incident_id, version):
        return [
            k
            for k, e in self.rows.items()
            if e.incident_id == incident_id and e.status == "decided" and e.version in (None, version)
        ]

    def current_key(self, incident_id, exposed_version):
        found = [
            k for k, e in self.rows.items() if e.incident_id == incident_id and e.version == exposed_version
        ]
        return found[0] if found else None

    def part(self, key, part_id):
        return self.parts_by_key.get(key, {}).get(part_id)

    def parts(self, key):
        return list(self.parts_by_key.get(key, {}).values())

    def add_part(self, key, part, at):
        self.parts_by_key[key][part.part_id] = PartRecord(part.part_id, part.listed, None, None, "collecting")

    def has_chunk(self, key, part_id, chunk):
        return (key, part_id, chunk) in self.chunks

    def add_chunk(self, key, part_id, chunk, households):
        self.chunks[key, part_id, chunk] = True
        self.staged.setdefault((key, part_id), []).extend(households)

    def note_part_size(self, key, part_id, chunks, households):
        self.parts_by_key[key][part_id] = replace(
            self.part(key, part_id), chunks=chunks, households=households
        )

    def chunks_received(self, key):
        counts = {}
        for k, part_id, _ in self.chunks:
            if k == key:
                counts[part_id] = counts.get(part_id, 0) + 1
        return counts

    def refuse_part(self, key, part_id, note):
        self.staged.pop((key, part_id), None)
        self.parts_by_key[key][part_id] = replace(self.part(key, part_id), status="overlapping")

    def accept_part(self, key, part_id, declared):
        for household in self.staged.pop((key, part_id), []):
            self.exposed[key].setdefault(household.household_id, household)
        self.parts_by_key[key][part_id] = replace(self.part(key, part_id), status="accepted")

    def columns(self, key):
        exposed = sorted(self.exposed.get(key, {}).values(), key=lambda h: h.household_id)
        known = np.array([h.household_id in self.attributes for h in exposed], dtype=bool)

        def column(name, default, kind):
            values = [self.attributes.get(h.household_id, {}).get(name, default) for h in exposed]
            return np.array(values, dtype=kind)

        columns = {
            "band": np.array([h.band for h in exposed], dtype=object),
            "intensity": np.array([np.nan if h.intensity is None else h.intensity for h in exposed]),
            "statement": np.array([np.nan if h.statement is None else h.statement for h in exposed]),
            "status": column("status", "unknown", object),
            "admin_code": column("admin_code", "", object),
            "vulnerability_score": column("vulnerability_score", np.nan, np.float64),
            "female_headed": column("female_headed", False, bool),
            "payment_channel_type": column("payment_channel_type", "", object),
            **{n: column(n, 0, np.int64) for n in ("size", *COUNTED_GROUPS)},
        }
        return np.array([h.household_id for h in exposed], dtype=object), columns, known

    def with_late_households(self):
        return []

    def incidents_of(self, keys):
        return {k: self.rows[k].incident_id for k in keys}


class FakeEvaluations:
    def __init__(self):
        self.rows = {}

    def add(self, evaluation, at):
        self.rows[evaluation.id] = evaluation

    def attach_batch(self, evaluation_id, batch_id):
        self.rows[evaluation_id] = replace(
            self.rows[evaluation_id], summary={**self.rows[evaluation_id].summary, "batch_id": batch_id}
        )


class FakeHazardEvents:
    """Hazard events held in dicts: which event each incident sits in, and CAP names."""

    def __init__(self):
        self.events = {}
        self.links = {}
        self.names = {}

    def link_of(self, incident_id):
        return self.links.get(incident_id)

    def incidents_with_event(self, hazard_event_id):
        return sorted(i for i, link in self.links.items() if link.hazard_event_id == hazard_event_id)

    def incidents_with(self, incident_id):
        link = self.links.get(incident_id)
        return [incident_id] if link is None else self.incidents_with_event(link.hazard_event_id)

    def known_as(self, incident_id):
        link = self.links.get(incident_id)
        ids = self.incidents_with(incident_id)
        names = {name for i in ids for name in self.names.get(i, ())}
        return names | set(ids) | ({link.hazard_event_id} if link else set())

    def sharing_names(self, incident_id, names):
        found = [
            (self.links[other].hazard_event_id, other)
            for other, theirs in self.names.items()
            if other != incident_id and set(theirs) & set(names) and other in self.links
        ]
        return sorted(set(found), key=lambda f: (self.events[f[0]].created_at, f[0], f[1]))

    def note_names(self, incident_id, names):
        self.names.setdefault(incident_id, set()).update(names)

    def add(self, event):
        self.events[event.id] = event

    def link(self, link):
        self.links[link.incident_id] = link

    def merge(self, source, target, how, by, at, note):
        moved = self.incidents_with_event(source)
        for incident_id in moved:
            self.links[incident_id] = replace(
                self.links[incident_id],
                hazard_event_id=target,
                how=how,
                linked_by=by,
                linked_at=at,
                note=note,
            )
        del self.events[source]
        return moved

    def drop_if_empty(self, hazard_event_id):
        if not self.incidents_with_event(hazard_event_id):
            self.events.pop(hazard_event_id, None)

    def get(self, hazard_event_id):
        event = self.events.get(hazard_event_id)
        if event is None:
            return None
        links = tuple(link for link in self.links.values() if link.hazard_event_id == hazard_event_id)
        return replace(event, links=links)

    def newest(self, limit=100):
        return [
            self.get(i) for i in sorted(self.events, key=lambda i: self.events[i].created_at, reverse=True)
        ][:limit]

    def summaries(self, incident_ids):
        return {}


class FakeStages:
    def __init__(self):
        self.rows = {}

    def record(self, exposure_key, incident_id, programme_id, programme_version, reached, at):
        self.rows[exposure_key, programme_id, reached.stage] = reached

    def of_incident(self, incident_id):
        return list(self.rows.values())

    def reached(self, exposure_key, programme_id, stage):
        return (exposure_key, programme_id, stage) in self.rows

    def of_exposures(self, keys):
        found = {}
        for (key, programme_id, stage), reached in self.rows.items():
            if key in keys:
                found.setdefault((key, programme_id), {})[stage] = {"reasons": list(reached.reasons)}
        return found


class FakeUnitOfWork:
    """Commits what was done when the block ends cleanly; otherwise forgets it."""

    def __init__(self, *programmes, attributes=None):
        self.batches = FakeBatches()
        self.payments = FakePayments()
        self.files = FakeFiles()
        self.programmes = FakeProgrammes(PROGRAMME, *programmes)
        self.incidents = FakeIncidents()
        self.exposures = FakeExposures(attributes or {})
        self.evaluations = FakeEvaluations()
        self.hazard_events = FakeHazardEvents()
        self.stages = FakeStages()
        self.events = []
        #: The pipeline's waits noted, as ``(step, seconds)`` (kept whether or not it commits).
        self.waits = []
        self.committed = 0
        self._saved = None

    def __enter__(self):
        self._saved = copy.deepcopy(self._state())
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            self.committed += 1
        else:
            (
                self.batches.rows,
                self.batches.audit,
                self.payments.rows,
                self.events,
                self.incidents.rows,
                self.exposures.__dict__,
                self.evaluations.rows,
                self.hazard_events.__dict__,
            ) = self._saved

    def _state(self):
        return (
            self.batches.rows,
            self.batches.audit,
            self.payments.rows,
            self.events,
            self.incidents.rows,
            self.exposures.__dict__,
            self.evaluations.rows,
            self.hazard_events.__dict__,
        )

    def reading(self):
        return self

    def lock(self, name):
        pass

    def waited(self, step, since, at):
        if since is not None:
            self.waits.append((step, (at - since).total_seconds()))

    def record(self, entry):
        self.batches.audit.append({**entry.__dict__, "at": datetime.now(UTC)})

    def publish(self, topic, event):
        self.events.append(event)

    def publish_all(self, topic, events):
        self.events.extend(events)
