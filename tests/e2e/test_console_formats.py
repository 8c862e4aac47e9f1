"""Dates, numbers and money on the console in the browser's own locale: a browser set to es-DO sees
the alert's time day first (4/12/2026) and a batch's amount in pesos (RD$4,500), in Spanish and still
after switching the words to English."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from shared.auth import AUDITOR, CIVIL_PROTECTION
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

SANTO_DOMINGO = "America/Santo_Domingo"


def es_do_date(iso: str) -> str:
    """Day/month/year and h:mm, as es-DO writes a time in Santo Domingo."""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo(SANTO_DOMINGO))
    return f"{at.day}/{at.month}/{at.year}, {at.hour % 12 or 12}:{at.minute:02d}"


def es_do_pesos(total: str) -> str:
    """Whole pesos, grouped by thousands with commas, after the Dominican peso's sign."""
    whole = int(Decimal(total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"RD${whole:,}"


def test_a_dominican_browser_sees_dates_day_first_and_amounts_in_pesos(browser, country):
    context = browser.new_context(locale="es-DO", timezone_id=SANTO_DOMINGO)
    try:
        page = context.new_page()
        sign_in(page, country, "ids-luis")
        page.wait_for_selector("#alert h2")
        page.wait_for_selector("#batches .batch")
        incident = api(country, "alerts", f"/v1/alerts/{country['incident']['id']}", [CIVIL_PROTECTION])
        sent = es_do_date(incident["current"]["sent"])
        assert f"Emitida: {sent}" in page.inner_text("#alert")

        batch_id = page.get_attribute("#batches .batch", "data-batch")
        batch = api(country, "transfers", f"/v1/batches/{batch_id}", [AUDITOR])
        assert batch["currency"] == "DOP" and Decimal(batch["total"]) >= 1000
        amount = page.locator(f".batch[data-batch='{batch_id}'] tr", has_text="Monto").locator("td.n")
        assert amount.inner_text() == es_do_pesos(batch["total"])

        # The words switch to English; the dates and amounts stay as the browser's locale writes them.
        page.click("#language")
        page.wait_for_selector("#alert p.muted:has-text('Sent:')")
        assert f"Sent: {sent}" in page.inner_text("#alert")
        amount = page.locator(f".batch[data-batch='{batch_id}'] tr", has_text="Amount").locator("td.n")
        assert amount.inner_text() == es_do_pesos(batch["total"])
    finally:
        context.close()
