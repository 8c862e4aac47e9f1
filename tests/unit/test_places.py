"""Weight sets proposed and decided by two people, and municipal layers checking codes and homes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.registry.adapters.config_files import load_admin_reference
from services.registry.domain import weights
from services.registry.domain.boundaries import Places, layer_from_geojson, metres_outside
from services.registry.domain.errors import (
    InvalidBoundaries,
    InvalidWeights,
    OutsideJurisdiction,
    OwnProposal,
    WeightSetDecided,
)
from services.registry.domain.vulnerability import COMPONENTS

LAYER = Path(__file__).resolve().parents[1] / "data" / "admin" / "hn-ch-municipalities-drawn.geojson"
NOW = datetime(2028, 7, 30, 15, tzinfo=UTC)
REFERENCE = load_admin_reference()


def config(**changes):
    return {
        "version": "hn-cr-2028",
        "area": "HN-CR",
        "effective_from": "2028-09-01",
        "weights": dict.fromkeys(COMPONENTS, 1.0),
        **changes,
    }


def propose(document, by="ana", covers=lambda code: code.startswith("HN"), taken=lambda _: False):
    def known(code):
        return None if code.split("-")[0] in REFERENCE.countries else f"country {code[:2]} is not served"

    return weights.propose(document, by=by, at=NOW, covers=covers, known_place=known, taken=taken)


def test_a_malformed_weight_file_is_refused_naming_the_place_and_each_field():
    with pytest.raises(InvalidWeights) as refused:
        propose(config(weights={**dict.fromkeys(COMPONENTS, 1.0), "crowding": -1, "luck": 2}))
    assert "weights for HN-CR version hn-cr-2028" in str(refused.value)
    assert {e.pointer for e in refused.value.errors} == {"/weights/crowding", "/weights/luck"}
    with pytest.raises(InvalidWeights, match="effective_from"):
        propose(config(effective_from="2028-07-30"))  # today: too late
    with pytest.raises(InvalidWeights, match="area"):
        propose(config(area=None))
    with pytest.raises(InvalidWeights, match="MX is not served"):
        propose(config(area="MX"))
    with pytest.raises(OutsideJurisdiction):
        propose(config(), covers=lambda code: code == "HN-CH")
    with pytest.raises(WeightSetDecided):
        propose(config(), taken=lambda version: version == "hn-cr-2028")


def test_nobody_approves_their_own_weights_and_a_decision_is_final():
    proposed = propose(config())
    with pytest.raises(OwnProposal):
        weights.decide(proposed, approve=True, by="ana", at=NOW, covers=lambda _: True, comment=None)
    with pytest.raises(OutsideJurisdiction):
        weights.decide(proposed, approve=True, by="luis", at=NOW, covers=lambda c: c == "HN-CH", comment=None)
    approved = weights.decide(proposed, approve=True, by="luis", at=NOW, covers=lambda _: True, comment="ok")
    assert approved.status == weights.WeightSetStatus.APPROVED and approved.decided_by == "luis"
    with pytest.raises(WeightSetDecided):
        weights.decide(approved, approve=False, by="eva", at=NOW, covers=lambda _: True, comment=None)
    late = datetime(2028, 9, 1, 0, 1, tzinfo=UTC)
    with pytest.raises(InvalidWeights, match="not after today"):
        weights.decide(proposed, approve=True, by="luis", at=late, covers=lambda _: True, comment=None)


def layer(tolerance_m=100.0):
    document = json.loads(LAYER.read_text())
    return layer_from_geojson(
        document,
        country="HN",
        code_property="code",
        name_property="name",
        tolerance_m=tolerance_m,
        source="drawn",
        reference=REFERENCE,
    )


def test_distances_in_metres_against_a_hand_computation():
    shape = layer().municipalities["HN-CH-0601"].shape
    assert metres_outside(shape, 13.30, -87.19) == 0.0
    # 0.001° of longitude west of the border at -87.30, at 13.3°N: 111 320 × cos(13.3°) × 0.001 m.
    assert metres_outside(shape, 13.30, -87.301) == pytest.approx(108.33, abs=0.5)
    # 0.002° of latitude north of the border at 13.40: 110 574 × 0.002 m.
    assert metres_outside(shape, 13.402, -87.19) == pytest.approx(221.15, abs=0.5)


def test_codes_and_homes_checked_against_the_municipalities_within_the_tolerance():
    places = Places(REFERENCE, {"HN": layer(tolerance_m=150)})
    assert places.problems("HN-CH-0601", 13.30, -87.19) == {}
    assert places.problems("HN-CH-0601", 13.30, -87.301) == {}  # 108 m across the border: GPS error
    wrong = places.problems("HN-CH-0601", 13.30, -87.35)
    assert list(wrong) == ["location"]
    assert (
        "outside HN-CH-0601 (Choluteca)" in wrong["location"]
        and "it lies in HN-CH-0607 (Marcovia)" in wrong["location"]
    )
    nowhere = places.problems("HN-CH-0601", 13.10, -87.19)
    assert "in no municipality of the layer" in nowhere["location"]
    unknown = places.problems("HN-CH-0699", 13.30, -87.19)
    assert list(unknown) == ["admin_code"]
    assert unknown["admin_code"].startswith("unknown municipality HN-CH-0699")
    assert (
        "HN-CH-0601 (Choluteca), HN-CH-0616 (Santa Ana de Yusguare), HN-CH-0607 (Marcovia)"
        in unknown["admin_code"]
    )
    assert places.problems("HN-CH-0601-05", 13.30, -87.19) == {}  # deeper: its municipality counts
    assert places.problems("HN-CH", 13.30, -87.19) == {}  # first level: as before
    assert places.problems("HN-CH", 15.5, -88.0) == REFERENCE.problems("HN-CH", 15.5, -88.0) != {}
    # Without a layer for the country, codes below the first level pass as before.
    assert Places(REFERENCE, {}).problems("HN-CH-0699", 13.30, -87.19) == {}


def test_a_faulty_layer_is_refused_whole_naming_each_feature():
    document = json.loads(LAYER.read_text())
    document["features"][0]["properties"]["code"] = "0601"
    swapped = document["features"][1]["geometry"]["coordinates"][0]
    document["features"][1]["geometry"]["coordinates"][0] = [[lat, lon] for lon, lat in swapped]
    document["features"][2]["geometry"] = {"type": "Point", "coordinates": [-87.0, 13.3]}
    with pytest.raises(InvalidBoundaries) as refused:
        layer_from_geojson(
            document,
            country="HN",
            code_property="code",
            name_property="name",
            tolerance_m=100,
            source="x",
            reference=REFERENCE,
        )
    pointers = {e.pointer: e.detail for e in refused.value.errors}
    assert set(pointers) == {"/features/0/properties/code", "/features/1/geometry", "/features/2/geometry"}
    assert "swapped" in pointers["/features/1/geometry"]
    with pytest.raises(InvalidBoundaries, match="not served"):
        layer_from_geojson(
            json.loads(LAYER.read_text()),
            country="MX",
            code_property="code",
            name_property="name",
            tolerance_m=100,
            source="x",
            reference=REFERENCE,
        )
