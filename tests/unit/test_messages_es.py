"""Spanish for every refusal: the language negotiated, the catalogue's templates matched with their
values kept, and every message template the registry's and the transfers service's source and
marshmallow write found in it."""

from __future__ import annotations

import ast
import itertools
import time
from pathlib import Path

import marshmallow as ma
import pytest
from marshmallow import validate
from werkzeug.exceptions import default_exceptions

import services.registry.entrypoints.app  # noqa: F401 - every registry error class, imported
import services.transfers.entrypoints.app  # noqa: F401 - and every transfers one
from services.registry.entrypoints.messages_es import CATALOGUE, PARTS, REGISTRY
from services.transfers.entrypoints.messages_es import CATALOGUE as TRANSFERS_CATALOGUE
from services.transfers.entrypoints.messages_es import PARTS as TRANSFERS_PARTS
from services.transfers.entrypoints.messages_es import TRANSFERS
from shared.errors import AmparoError, FieldProblem, Problem
from shared.languages import Catalogue, Template, negotiate
from shared.messages_es import PARTS as SHARED_PARTS
from shared.messages_es import SHARED
from tests.english import english_left_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "header, language",
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("es-MX", "es"),
        ("ES-419", "es"),
        ("es-419,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("en;q=0.9, es", "es"),
        ("es, en", "es"),  # equal ratings: the one named first
        ("en, es", "en"),
        ("es;q=0.5, en;q=0.5", "es"),
        ("fr, es;q=0.5", "es"),  # French is not spoken here; Spanish is acceptable
        ("fr, de", "en"),
        ("es;q=0", "en"),  # Spanish refused
        ("*", "en"),
        ("*;q=0.5, es;q=0.1", "en"),
        ("es;q=0.1, *;q=0.5", "en"),
        ("es;q=0.6, *;q=0.5", "es"),
        ("spa", "en"),  # a three-letter code that is not es
        ("español", "en"),  # not a language range
        ("es;q=x, en", "en"),  # a malformed rating is passed over
        ("es;q=2", "en"),
        (" es-CO ; q=0.7 , en ; q=0.3", "es"),
    ],
)
def test_the_language_follows_accept_language_by_rating(header, language):
    assert negotiate(header) == language


def test_a_template_keeps_the_values_and_a_message_inside_one_is_translated_too():
    catalogue = Catalogue(
        {
            "{message}: {fields}": "{message}: {fields}",
            "the household cannot be recorded": "no se puede registrar el hogar",
            "household {household} lies in {code}, outside your jurisdiction": (
                "el hogar {household} está en {code}, fuera de su jurisdicción"
            ),
            "{value} is not one of {allowed}": "{value} no es uno de: {allowed}",
        }
    )
    assert catalogue.spanish("household 5f: HN-CR lies in HN-CR, outside your jurisdiction") == (
        "el hogar 5f: HN-CR está en HN-CR, fuera de su jurisdicción"
    )
    assert catalogue.spanish("the household cannot be recorded: admin_code, members.0.sex") == (
        "no se puede registrar el hogar: admin_code, members.0.sex"
    )
    assert (
        catalogue.spanish("'adobe, other' is not one of adobe, brick")
        == "'adobe, other' no es uno de: adobe, brick"
    )
    # A message none of them was written from stays untranslated (and the one inside must be known).
    assert catalogue.spanish("the assessment cannot be recorded: assessment.needs.0") is None
    assert catalogue.spanish("household 5f lies in HN-CR") is None


def test_of_the_readings_of_a_message_the_one_its_templates_explain_most_of_wins():
    text = (
        "weights for HN version 2 cannot be approved: effective_from 2020-01-01 is not after today: "
        "propose it again"
    )
    # Also readable as one date "not after today": a date of 60 characters explains less.
    assert CATALOGUE.spanish(text) == (
        "no se pueden aprobar los pesos para HN, versión 2: effective_from 2020-01-01 no es posterior a "
        "hoy: propóngalo de nuevo"
    )
    listed = (
        "weights for everywhere version v3 cannot be used: weights.flying not a component of the index, "
        "weights.crowding -2 is not a non-negative number"
    )
    assert CATALOGUE.spanish(listed) == (
        "no se pueden usar los pesos generales, versión v3: weights.flying no es un componente del índice, "
        "weights.crowding -2 no es un número no negativo"
    )
    # A part is never read as a whole message.
    assert CATALOGUE.spanish("weights for HN version 2") is None


def test_a_message_full_of_separators_costs_little_and_is_answered_as_written_past_a_bound():
    sent = "'" + "a, b; c: d, " * 300 + "'"
    started = time.perf_counter()
    assert CATALOGUE.spanish(f"{sent} is not one of a, b") == f"{sent} no es uno de: a, b"
    many = "weights for HN version 2 cannot be used: " + ", ".join(
        f"weights.w{i} odd, and more" for i in range(60)
    )
    assert CATALOGUE.spanish(many) is not None  # the list is kept as written
    assert time.perf_counter() - started < 2


def test_a_template_must_name_the_same_values_in_both_languages_and_never_two_side_by_side():
    with pytest.raises(ValueError, match="names"):
        Template.parse("age {age} is not between 0 and {most}", "la edad no está entre 0 y {most}")
    with pytest.raises(ValueError, match="cannot be told apart"):
        Template.parse("lies outside {area}{hint}", "queda fuera de {area}{hint}")
    with pytest.raises(ValueError, match="write a value"):
        Template.parse("latitude {lat!r} is wrong", "la latitud {lat} no sirve")


def test_a_problem_document_is_translated_field_by_field_with_its_pointers_unchanged():
    problem = Problem(
        status=422,
        title="Invalid input",
        detail="the household cannot be recorded: members.0.pregnant",
        errors=(
            FieldProblem("/members/0/pregnant", "only a female member can be recorded as pregnant"),
            FieldProblem("/members/0/sex", "Must be one of: female, male."),
            FieldProblem("/x", "a message nobody wrote"),
        ),
    )
    spanish = CATALOGUE.translate_problem(problem).to_dict()
    assert spanish["title"] == "Datos no válidos"
    assert spanish["detail"] == "no se puede registrar el hogar: members.0.pregnant"
    assert spanish["errors"] == [
        {
            "pointer": "/members/0/pregnant",
            "detail": "solo un miembro de sexo femenino puede registrarse como embarazada",
        },
        {"pointer": "/members/0/sex", "detail": "Debe ser uno de: female, male."},
        {"pointer": "/x", "detail": "a message nobody wrote"},
    ]


def marshmallow_messages() -> list[str]:
    """Every message marshmallow's fields, schemas and validators write, their values filled in."""
    messages = [ma.Schema._default_error_messages[k] for k in ("type", "unknown")]
    fields = [f for f in vars(ma.fields).values() if isinstance(f, type) and issubclass(f, ma.fields.Field)]
    for field in fields:
        for key, text in field.default_error_messages.items():
            obj_type = getattr(field, "OBJ_TYPE", "datetime")
            awareness = [field.AWARENESS] if hasattr(field, "AWARENESS") else ["aware", "naive"]
            if key == "invalid_awareness":
                messages += [text.format(awareness=a, obj_type=obj_type) for a in awareness]
            else:
                messages.append(text.format(obj_type=obj_type, input="«x»", choices="a, b"))
    ranges = validate.Range
    lows, highs = (ranges.message_gte, ranges.message_gt), (ranges.message_lte, ranges.message_lt)
    messages += [ranges.message_min.format(min_op=op).format(min=1) for op in lows]
    messages += [ranges.message_max.format(max_op=op).format(max=9) for op in highs]
    messages += [
        ranges.message_all.format(min_op=low, max_op=high).format(min=1, max=9)
        for low, high in itertools.product(lows, highs)
    ]
    length = validate.Length
    messages += [
        text.format(min=1, max=9, equal=3)
        for text in (length.message_min, length.message_max, length.message_all, length.message_equal)
    ]
    for validator in (validate.OneOf, validate.ContainsOnly, validate.ContainsNoneOf, validate.Equal):
        messages.append(validator.default_message.format(choices="a, b", values="a, b", other="a"))
    for validator in (validate.URL, validate.Email, validate.Regexp, validate.Predicate, validate.NoneOf):
        messages.append(validator.default_message)
    return sorted(set(messages))


@pytest.mark.parametrize("message", marshmallow_messages())
def test_every_message_marshmallow_writes_has_spanish(message):
    assert CATALOGUE.spanish(message), f"no Spanish for marshmallow's {message!r}"


@pytest.mark.parametrize("code", sorted(c for c in default_exceptions if c >= 400))
def test_every_http_refusal_has_its_title_and_description_in_spanish(code):
    error = default_exceptions[code]()
    assert CATALOGUE.spanish(error.name) and CATALOGUE.spanish(error.description or "")


#: The error classes whose first argument (or ``detail=``) is a message shown to the caller.
def refusal_classes() -> set[str]:
    found, waiting = set(), [AmparoError]
    while waiting:
        kind = waiting.pop()
        found.add(kind.__name__)
        waiting.extend(kind.__subclasses__())
    return found | {"ValidationError", "ImportFileError"}


def _samples(node: ast.AST | None) -> list[str]:
    """The texts an expression can spell, a value such as «1» wherever the code puts one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        number = itertools.count(1)
        return [
            "".join(str(v.value) if isinstance(v, ast.Constant) else f"«{next(number)}»" for v in node.values)
        ]
    if isinstance(node, ast.IfExp):
        return _samples(node.body) + _samples(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [s for value in node.values for s in _samples(value)]
    if isinstance(node, ast.Dict):
        return [s for value in node.values for s in _samples(value)]
    if isinstance(node, ast.Tuple):
        return [s for value in node.elts for s in _samples(value)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "invalid fields: " + listed
        sides = [_samples(node.left) or ["«0»"], _samples(node.right) or ["«0»"]]
        return [left + right for left in sides[0] for right in sides[1]]
    return []


def message_templates(path: Path, refusals: set[str]) -> list[tuple[int, str]]:
    """Every message ``path`` refuses with, by line: the details and field problems of errors it
    raises, the problems it collects (``problems[…] = …``, ``problems.add(…)``), the sync outcomes
    and roster reasons it writes. In an import's cell readers, a ``ValueError`` is a problem too."""
    if "imports" in path.parts and "domain" in path.parts:
        refusals = refusals | {"ValueError"}
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        texts: list[str] = []
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            keywords = {k.arg: k.value for k in node.keywords}
            if name in refusals:  # InvalidHousehold(detail, {field: problem})
                problems = node.args[1] if len(node.args) > 1 else None
                texts += _samples(node.args[0] if node.args else None)
                texts += _samples(problems) if isinstance(problems, ast.Dict) else []
                texts += _samples(keywords.get("detail"))
            if name in ("FieldProblem", "mistake", "ChainBreak") and len(node.args) > 1:
                texts += _samples(node.args[1])  # mistake(path, detail): a programme's; an audit break
            if name in ("SyncResult", "Problem"):
                texts += _samples(keywords.get("detail")) + _samples(keywords.get("errors"))
            if name in ("setdefault", "add") and ast.unparse(node.func).startswith("problems."):
                texts += _samples(node.args[-1])  # problems.add(row, column, problem)
            texts += _samples(keywords.get("error"))  # a validator's own message
        if isinstance(node, ast.Dict):  # a roster row's {"outcome": …, "reason": …}
            texts += [
                s
                for k, v in zip(node.keys, node.values, strict=True)
                if ast.unparse(k or node) == "'reason'"
                for s in _samples(v)
            ]
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.endswith("REASONS"):
                    texts += _samples(node.value)
                named = target.value if isinstance(target, ast.Subscript) else target
                if isinstance(named, ast.Name) and named.id in ("problems", "problem", "detail"):
                    texts += _samples(node.value)
        if isinstance(node, ast.FunctionDef) and node.name.endswith("problems"):
            returned = [n.value for n in ast.walk(node) if isinstance(n, ast.Return)]
            texts += [s for value in returned for s in _samples(value)]
        found += [(getattr(node, "lineno", 0), text) for text in texts]
    return found


#: Where a request to the registry can be refused, or an import or a roster finds a problem.
REGISTRY_SOURCES = [
    *sorted((ROOT / "services/registry/domain").rglob("*.py")),
    *sorted((ROOT / "services/registry/service_layer").glob("*.py")),
    *sorted((ROOT / "services/registry/entrypoints").glob("*.py")),
    ROOT / "services/registry/adapters/import_files.py",
    ROOT / "shared/web.py",
    ROOT / "shared/auth.py",
    ROOT / "shared/audit.py",
]
#: Where a request to the transfers service can be refused, or an event or a result file is.
TRANSFERS_SOURCES = [
    *sorted((ROOT / "services/transfers/domain").rglob("*.py")),
    *sorted((ROOT / "services/transfers/service_layer").glob("*.py")),
    *sorted((ROOT / "services/transfers/entrypoints").glob("*.py")),
    ROOT / "shared/web.py",
    ROOT / "shared/auth.py",
    ROOT / "shared/audit.py",
]


def test_the_source_is_read_for_its_messages():
    """The finder finds the messages it looks for (so that finding none below means something)."""
    found = {
        text for _, text in message_templates(ROOT / "services/registry/domain/model.py", refusal_classes())
    }
    assert "only a female member can be recorded as pregnant" in found
    assert "pregnancy at age «1» is not plausible" in found
    assert "«1» rooms is not a whole number from 1 to 50" in found
    assert len(found) > 10


@pytest.mark.parametrize(
    "sources, table, parts, where",
    [
        (REGISTRY_SOURCES, REGISTRY, PARTS, "services/registry/entrypoints/messages_es.py"),
        (TRANSFERS_SOURCES, TRANSFERS, TRANSFERS_PARTS, "services/transfers/entrypoints/messages_es.py"),
    ],
    ids=["registry", "transfers"],
)
def test_every_message_a_service_refuses_with_has_spanish(sources, table, parts, where):
    refusals = refusal_classes()
    # A value the source puts in a message may be a message itself («1» cannot be used).
    catalogue = Catalogue(SHARED, table, parts={**SHARED_PARTS, **parts, "«{value}»": "«{value}»"})
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sources
        for line, text in message_templates(path, refusals)
        if any(c.isalpha() for c in text) and not catalogue.spanish(text)
    ]
    assert missing == [], f"write these in {where}"


def test_a_programmes_mistake_and_an_audit_break_read_in_spanish_with_their_values_kept():
    mistake = "/eligibility/all/0/op: 'within' does not apply to number field 'size'; use ==, <"
    assert TRANSFERS_CATALOGUE.spanish(mistake) == (
        "/eligibility/all/0/op: 'within' no se aplica al campo 'size', cuyo valor es un número; use ==, <"
    )
    assert TRANSFERS_CATALOGUE.spanish("u-7 proposed this batch and cannot also reject it") == (
        "u-7 propuso este lote y no puede también rechazarlo"
    )
    assert TRANSFERS_CATALOGUE.spanish("entries 4–6 missing") == "faltan las entradas 4–6"


def test_the_catalogues_spanish_holds_no_english():
    def words(template: str) -> list[str]:
        return english_left_in(template.replace("{", "«").replace("}", "»"))  # values are not words

    left = {
        english: spanish
        for english, spanish in {
            **SHARED,
            **SHARED_PARTS,
            **REGISTRY,
            **PARTS,
            **TRANSFERS,
            **TRANSFERS_PARTS,
        }.items()
        if words(spanish) or (spanish == english and words(english))
    }
    assert left == {}
