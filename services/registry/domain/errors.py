"""The registry's errors, each also one of the shared kinds so the web layer maps it once."""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import (
    Bilingual,
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    spanish,
)


class RegistryError(Exception):
    """Root of every error the registry raises on purpose."""


class InvalidHousehold(RegistryError, InvalidInput):
    """A household's data breaks a rule; ``errors`` names each field (``location.lat`` …).

    A ``detail`` or problem given as :class:`~shared.errors.Bilingual` words is also said in Spanish.
    """

    def __init__(self, detail: str, problems: Mapping[str, str]):
        errors = [
            FieldProblem("/" + name.replace(".", "/"), str(text), spanish(text))
            for name, text in problems.items()
        ]
        fields = ", ".join(problems)
        es = spanish(detail)
        said = Bilingual(f"{detail}: {fields}", f"{es}: {fields}") if es else f"{detail}: {fields}"
        super().__init__(said, errors=errors)
        self.problems = dict(problems)

    def renamed(self, detail: str, names: Mapping[str, str]) -> InvalidHousehold:
        """The same problems under another ``detail``, the fields in ``names`` renamed (a rule of the
        household told as the field of the request that broke it)."""
        return InvalidHousehold(detail, {names.get(k, k): v for k, v in self.problems.items()})


class OutsideJurisdiction(RegistryError, Forbidden):
    """The household lies outside the admin areas the person may act in."""


class HouseholdNotFound(RegistryError, NotFound):
    """No household with that id."""


class HouseholdIdTaken(RegistryError, Conflict):
    """A different household was already registered under that id."""


class AlreadyErased(RegistryError, Conflict):
    """The household's personal data was erased already."""

    slug = "already-erased"
    title = "Already erased"


class VersionMismatch(RegistryError, PreconditionFailed):
    """The change was made against an older version than the one stored (``If-Match`` failed)."""


class InvalidConfiguration(RegistryError, ValueError):
    """A registry configuration file (the vulnerability index) is not usable."""


class InvalidWeights(InvalidConfiguration, InvalidInput):
    """A vulnerability weight set is malformed; the message names its place and version, and
    ``errors`` each faulty field (``/weights/crowding``)."""

    def __init__(self, detail: str, problems: Mapping[str, str]):
        errors = [FieldProblem("/" + name.replace(".", "/"), text) for name, text in problems.items()]
        listed = ", ".join(f"{name} {text}" for name, text in problems.items())
        InvalidInput.__init__(self, f"{detail}: {listed}", errors=errors)
        self.problems = dict(problems)


class WeightSetNotFound(RegistryError, NotFound):
    """No vulnerability weight set of that version."""


class WeightSetDecided(RegistryError, Conflict):
    """A weight set was already approved or rejected, or a version of that name exists."""


class OwnProposal(RegistryError, Forbidden):
    """A person may not approve what they proposed themselves (four eyes)."""


class InvalidBoundaries(RegistryError, InvalidInput):
    """A boundary layer cannot be loaded; ``errors`` point at the faulty features."""


class AlreadyDecided(RegistryError, Conflict):
    """A duplicate candidate was already decided (merged, dismissed, its members removed, withdrawn)."""


class ChangedMeanwhile(RegistryError, Conflict):
    """A household was changed by someone else while a decision on it was being recorded."""
