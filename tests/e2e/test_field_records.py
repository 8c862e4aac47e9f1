"""The field app in headless Chromium: a household with everything the registry takes registered
and read back exactly; found in the offline copy; changed and synced; a conflict with someone
else's change shown with both versions, each choice leading where it says."""

from __future__ import annotations

import pytest

from tests.e2e.field_pages import (
    FULL_HOUSEHOLD,
    fill_household,
    open_field,
    registry,
    stored_as_sent,
    synced,
    waiting_records,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_a_full_household_is_stored_by_the_registry_exactly_as_entered(context, country):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_field(page, country)
    fill_household(page, FULL_HOUSEHOLD)
    [household_id] = synced(page)
    stored = registry(country, "GET", f"/v1/households/{household_id}").json()
    stored_as_sent(stored, FULL_HOUSEHOLD)
    assert waiting_records(page) == []
    assert errors == []
