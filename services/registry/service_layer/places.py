"""Policy and reference data by place: vulnerability weight sets (proposed by one person, approved
by another, audited) and municipal boundary layers (loaded by a registry officer of the country)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.registry.domain import weights
from services.registry.domain.areas import AdminReference
from services.registry.domain.boundaries import layer_from_geojson
from services.registry.domain.errors import OutsideJurisdiction, WeightSetNotFound
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry


def _known_place(reference: AdminReference | None) -> Callable[[str], str | None]:
    def wrong(code: str) -> str | None:
        if reference is None:
            return None
        country = code[:2]
        if country not in reference.countries:
            return f"country {country} is not served by this registry"
        if "-" in code and code.split("-")[1] and "-".join(code.split("-")[:2]) not in reference.areas:
            return f"unknown admin code {code}"
        return None

    return wrong


def propose_weights(
    config: Mapping[str, Any], actor: Actor, uow: RegistryUnitOfWork, deps: Dependencies
) -> weights.WeightSet:
    """Store a new weight set as proposed (it changes nothing until another person approves it).

    :raise InvalidWeights, OutsideJurisdiction, WeightSetDecided: see :func:`weights.propose`.
    """
    with uow:
        proposed = weights.propose(
            config,
            by=actor.subject,
            at=deps.now(),
            covers=actor.covers,
            known_place=_known_place(deps.served),
            taken=uow.weights.exists,
        )
        uow.weights.add(proposed)
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="weights_proposed",
                subject_type="vulnerability_weights",
                subject_id=proposed.version,
                to_state=proposed.status.value,
                comment=f"{proposed.area} from {proposed.effective_from}: {dict(proposed.index.weights)}",
            )
        )
    return proposed


def decide_weights(
    version: str,
    approve: bool,
    comment: str | None,
    actor: Actor,
    uow: RegistryUnitOfWork,
    deps: Dependencies,
) -> weights.WeightSet:
    """Approve (takes effect on its day, rescoring its place's households in that day's pass) or
    reject a proposed set; never one's own proposal.

    :raise WeightSetNotFound: no such version (or one outside the caller's jurisdiction).
    :raise WeightSetDecided, OwnProposal, InvalidWeights: see :func:`weights.decide`.
    """
    with uow:
        proposed = uow.weights.get(version, for_update=True)
        if proposed is None or not actor.covers(proposed.area):
            raise WeightSetNotFound(f"no weight set {version} in your jurisdiction")
        decided = weights.decide(
            proposed, approve=approve, by=actor.subject, at=deps.now(), covers=actor.covers, comment=comment
        )
        uow.weights.decide(decided)
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="weights_approved" if approve else "weights_rejected",
                subject_type="vulnerability_weights",
                subject_id=version,
                from_state=proposed.status.value,
                to_state=decided.status.value,
                comment=comment,
            )
        )
    deps.reference_changed()
    return decided


def list_weights(actor: Actor, uow: RegistryUnitOfWork) -> list[weights.WeightSet]:
    """The weight sets of places in the caller's jurisdiction, the latest to take effect first."""
    with uow:
        return [s for s in uow.weights.listed() if actor.covers(s.area)]


@dataclass(frozen=True)
class LoadBoundaries:
    """A country's municipal layer as an officer sends it."""

    document: Mapping[str, Any]
    country: str
    code_property: str
    name_property: str
    tolerance_m: float
    source: str
    actor: Actor


@dataclass(frozen=True)
class BoundariesLoaded:
    country: str
    municipalities: int
    replaced: int
    tolerance_m: float


def load_boundaries(command: LoadBoundaries, uow: RegistryUnitOfWork, deps: Dependencies) -> BoundariesLoaded:
    """Put a country's municipal layer in place of the one loaded before (households registered
    from then on are checked against it; those registered before, when they next change).

    :raise OutsideJurisdiction: the officer's jurisdiction does not cover the whole country.
    :raise InvalidBoundaries: naming each faulty feature; nothing is loaded.
    """
    country = command.country.strip().upper()
    if deps.served is None:
        raise RuntimeError("the registry serves no areas: boundary layers need its first-level areas")
    if not command.actor.covers(country):
        raise OutsideJurisdiction(
            f"loading {country}'s boundaries needs a jurisdiction over all of {country}"
        )
    layer = layer_from_geojson(
        command.document,
        country=country,
        code_property=command.code_property,
        name_property=command.name_property,
        tolerance_m=command.tolerance_m,
        source=command.source,
        reference=deps.served,
    )
    with uow:
        replaced = uow.boundaries.replace(layer, command.actor.subject, deps.now())
        uow.record(
            AuditEntry(
                by=command.actor.subject,
                action="boundaries_loaded",
                subject_type="admin_boundaries",
                subject_id=country,
                comment=f"{len(layer.municipalities)} municipalities (replacing {replaced}), "
                f"tolerance {layer.tolerance_m} m; source: {layer.source}"[:1000],
            )
        )
    deps.reference_changed()
    return BoundariesLoaded(country, len(layer.municipalities), replaced, layer.tolerance_m)


def boundary_layers(uow: RegistryUnitOfWork) -> list[dict[str, Any]]:
    """Each country's municipal layer: size, tolerance, source, who loaded it and when."""
    with uow:
        return uow.boundaries.summary()
