"""Schemas of the imports API: an import with its counts, problems, households and probable
duplicates, and what a commit may say."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ImportProblemSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    problem = fields.String()


class ImportHouseholdSchema(Schema):
    first_row = fields.Integer(metadata={"description": "The household's first row in the file"})
    rows = fields.List(fields.Integer(), metadata={"description": "Every row of the household"})
    reference = fields.String(metadata={"description": "The household's reference in the file"})
    outcome = fields.String(
        metadata={"description": "What the dry run says: create, update, unchanged or refused"}
    )
    household_id = fields.String(
        allow_none=True,
        metadata={"description": "The household created or updated (for a new one, once committed)"},
    )
    registration_number = fields.String(allow_none=True)
    changed = fields.List(
        fields.String(), allow_none=True, metadata={"description": "For an update: the fields it changes"}
    )
    pointer = fields.String(
        allow_none=True, metadata={"description": "For a refusal: the cell at fault, /rows/<row>/<column>"}
    )
    reason = fields.String(allow_none=True, metadata={"description": "For a refusal: why, in English"})
    reason_es = fields.String(allow_none=True, metadata={"description": "For a refusal: why, in Spanish"})
    result = fields.String(
        allow_none=True, metadata={"description": "Once committed: created, updated, unchanged or refused"}
    )


class ImportDuplicateSchema(Schema):
    row = fields.Integer(metadata={"description": "The row of the person who resembles someone else"})
    first_row = fields.Integer(metadata={"description": "The first row of that person's household"})
    reference = fields.String(metadata={"description": "That household's reference in the file"})
    other_household = fields.String(metadata={"description": "The household the person resembles someone of"})
    other_registration_number = fields.String(
        allow_none=True, metadata={"description": "Its registration number, when it is registered"}
    )
    other_row = fields.Integer(
        allow_none=True,
        metadata={"description": "When it is a household of the same file: the resembled row"},
    )
    other_reference = fields.String(allow_none=True)
    score = fields.Float()
    reasons = fields.List(fields.String())


class OutcomeCountsSchema(Schema):
    create = fields.Integer()
    update = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()


class ImportSchema(Schema):
    id = fields.String()
    file_name = fields.String()
    format = fields.String()
    mapping = fields.Dict(keys=fields.String(), values=fields.String())
    status = fields.String(metadata={"description": "validating, validated, failed, committing or committed"})
    created_by = fields.String()
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    rows_read = fields.Integer()
    households_total = fields.Integer()
    households_valid = fields.Integer()
    households_invalid = fields.Integer()
    households_written = fields.Integer()
    problems_count = fields.Integer()
    error = fields.String(allow_none=True)
    outcomes = fields.Nested(OutcomeCountsSchema, allow_none=True)
    max_duplicate_share = fields.Float(
        allow_none=True,
        metadata={"description": "Above this share of probable duplicates the commit is stopped"},
    )
    households_with_duplicates = fields.Integer(
        metadata={
            "description": "Households to create or update that resemble one registered, or one earlier "
            "in the file"
        }
    )
    duplicates_count = fields.Integer(metadata={"description": "Probable duplicates found by the dry run"})
    duplicate_share = fields.Float(
        metadata={"description": "households_with_duplicates over the households to create or update"}
    )
    problems = fields.List(
        fields.Nested(ImportProblemSchema), metadata={"description": "The first 200 problems"}
    )
    households = fields.List(
        fields.Nested(ImportHouseholdSchema), metadata={"description": "The first 200 households of the file"}
    )
    duplicates = fields.List(
        fields.Nested(ImportDuplicateSchema), metadata={"description": "The first 200 probable duplicates"}
    )


class ImportSummarySchema(ImportSchema):
    """An import in a list: its counts, without its problems, households or duplicates."""

    class Meta:
        exclude = ("problems", "households", "duplicates")


class CommitSchema(Schema):
    max_duplicate_share = fields.Raw(
        load_default=None,
        metadata={
            "type": "number",
            "description": "Stop the commit above this share (0 to 1) of households with a probable "
            "duplicate; without it, the share given with the upload",
        },
    )


class ImportListQuerySchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
