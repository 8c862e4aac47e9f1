from bench.population import generate
from services.registry.domain.duplicates import Person, compare, find_all, name_similarity


def person(name, member, household, birth_date="1986-03-14", document=None, lat=13.30, lon=-87.19, year=1986):
    return Person(household, member, name, year, birth_date, document, "HN-CH", lat, lon)


def test_names_alike_despite_typos_order_and_a_dropped_family_name():
    assert name_similarity("maria jose ordonez perez", "maria jose ordonez perez") == 1.0
    assert name_similarity("elena maradiaga sanchez", "elena maradiaga asnchez") > 0.9
    assert name_similarity("ordonez perez maria jose", "maria jose ordonez perez") == 1.0
    assert name_similarity("ana cruz", "ana cruz mejia") == 0.92
    assert name_similarity("ana cruz", "pedro zelaya") < 0.5


def test_the_same_document_is_a_certain_match_and_the_same_household_never_matches():
    a = person("maria ordonez", "m1", "h1", document="abc")
    assert compare(a, person("otra persona", "m2", "h2", document="abc", lat=15.0)).score == 1.0
    assert compare(a, person("maria ordonez", "m3", "h1")) is None


def test_probable_matches_need_name_birth_and_place_together():
    a = person("maria jose ordonez", "m1", "h1")
    typo = compare(a, person("maria jsoe ordonez", "m2", "h2", lat=13.301))
    assert typo is not None and typo.score > 0.9 and "same" in typo.reasons[1]
    assert compare(a, person("maria jsoe ordonez", "m3", "h3", birth_date="1950-01-01", year=1950)) is None
    assert (
        compare(a, person("maria jose ordonez", "m4", "h4", lat=15.5, lon=-87.9, birth_date="1986-07-01"))
        is None
    )


def test_precision_and_recall_on_a_generated_population():
    people, truth = generate(3000, 150, seed=11)
    found = {frozenset((m.a.member_id, m.b.member_id)) for m in find_all(people)}
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert precision >= 0.95, precision
    assert recall >= 0.90, recall
