"""The demo's generated registry: every home where the registry accepts it, spread by population."""

import csv
import io
from collections import Counter

from services.demo import province_weights, registry_csv
from services.registry.adapters.config_files import load_admin_reference


def test_every_generated_home_lies_where_the_registry_accepts_it_and_provinces_follow_population():
    reference = load_admin_reference()
    rows = csv.DictReader(io.StringIO(registry_csv(30_000, seed=7).decode()), delimiter=";")
    heads = [r for r in rows if r["Departamento"]]
    assert len(heads) == 30_000
    refused = [
        r for r in heads if reference.problems(r["Departamento"], float(r["Latitud"]), float(r["Longitud"]))
    ]
    assert refused == []
    counts = Counter(r["Departamento"] for r in heads)
    weights = province_weights()
    assert abs(sum(weights.values()) - 1) < 1e-9
    # Santo Domingo (25.7 % of the 2022 census) against Pedernales (0.3 %).
    assert abs(counts["DO-32"] / 30_000 - weights["DO-32"]) < 0.01
    assert counts["DO-16"] < counts["DO-32"] / 40
