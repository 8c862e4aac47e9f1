"""The end of the demo: the providers answer the payment files (most payments settled, a few
accounts closed), and monitoring says whom the hazard event reached and how fast."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

from services.demo.client import Say, client
from services.demo.country import COUNTRY
from services.demo.fiona import hazard_event_of
from services.stack import Stack
from shared.auth import AUDITOR, PAYMENTS_OFFICER

#: One payment in this many fails at the provider (a closed account, a wallet blocked).
FAILING_ONE_IN = 40


def end_to_end_ids(path: Path) -> list[str]:
    """The payments a file instructs: a pain.001's ``EndToEndId`` elements, a CSV's column."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        return re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", text)
    return [row["end_to_end_id"] for row in csv.DictReader(io.StringIO(text))]


def provider_results(stack: Stack, say: Say) -> dict[str, int]:
    """Every payment file written so far answered by its provider, as the result CSV a provider
    sends back, imported by the payments officer."""
    payments = client(stack, "transfers", "ids-rosa", [PAYMENTS_OFFICER], [COUNTRY])
    counts = {"settled": 0, "failed": 0}
    for path in sorted((stack.data_dir / "payment-files").glob("*.*")):
        lines = ["end_to_end_id,status,reason"]
        for n, e2e in enumerate(end_to_end_ids(path)):
            failing = n % FAILING_ONE_IN == FAILING_ONE_IN - 1
            lines.append(f"{e2e},{'rejected,AC04 cuenta cerrada' if failing else 'paid,'}")
        if len(lines) == 1:
            continue
        answer = payments.call(
            "POST",
            "/v1/payment-results",
            data=("\n".join(lines) + "\n").encode(),
            headers={"Content-Type": "text/csv", "Idempotency-Key": f"demo-results-{path.stem}"},
        )
        counts["settled"] += answer["settled"]
        counts["failed"] += answer["failed"]
    say(
        f"transfers  providers' results: {counts['settled']:,} payments settled, "
        f"{counts['failed']:,} failed (closed accounts, to re-issue)"
    )
    return counts


def _people(cells: dict[str, Any], sex: str, bands: tuple[str, ...], what: str = "people") -> int:
    return sum(cells[sex][band][what] or 0 for band in bands)


def say_reached(stack: Stack, incident_id: str, say: Say) -> dict[str, Any]:
    """Monitoring's figures for Fiona's hazard event, as the auditor reads them."""
    auditor = client(stack, "transfers", "demo-auditor", [AUDITOR], [COUNTRY])
    event = hazard_event_of(auditor, incident_id)
    report: dict[str, Any] = auditor.call("GET", f"/v1/monitoring/hazard-events/{event['id']}")
    paid = report["stages"]["paid"]
    cells = report["people"]["paid"]["by_sex_and_age"]
    children, older = ("0_5", "6_11", "12_17"), ("60_plus",)
    every = (*children, "18_59", *older)
    both = {
        name: _people(cells, "female", bands, what) + _people(cells, "male", bands, what)
        for name, bands, what in (
            ("children", children, "people"),
            ("older", older, "people"),
            ("disabled", every, "with_disability"),
        )
    }
    say(
        f"monitoring {event['name']!r}: {paid['people'] or 0:,} people in "
        f"{paid['households'] or 0:,} households paid: {_people(cells, 'female', every):,} women and "
        f"girls, {_people(cells, 'male', every):,} men and boys; {both['children']:,} children, "
        f"{both['older']:,} aged 60 or more, {both['disabled']:,} with a disability"
    )
    approval = report["waits"]["alert_to_approval"]
    coverage = report["coverage"]["paid_of_exposed"]["people"]
    say(
        f"monitoring alert → approval: median {approval['median_minutes']} min, 90th percentile "
        f"{approval['p90_minutes']} min; paid before the expected onset: "
        f"{report['paid_before_onset']['households'] or 0:,} households; "
        f"{(coverage or 0):.0%} of the people exposed paid"
    )
    console = stack.services.get("console")
    if console is not None:
        say(f"monitoring the charts: {console.url}/ → Monitoring (sign in as aud-pedro)")
    return report


def say_messages(stack: Stack, say: Say, timeout: float = 180) -> dict[str, dict[str, int]]:
    """The messages households were sent, once the registry has none left queued (or at
    ``timeout``: the rest go on while the stack runs)."""
    auditor = client(stack, "registry", "demo-auditor", [AUDITOR], [COUNTRY])
    deadline = time.monotonic() + timeout
    seen: list[int] = []
    while True:
        counts: dict[str, dict[str, int]] = auditor.call("GET", "/v1/messages/counts")["by_kind"]
        queued = sum(by_status.get("queued", 0) for by_status in counts.values())
        seen.append(sum(n for by_status in counts.values() for n in by_status.values()))
        # Settled: none queued, and no new request for three seconds (the last results' requests
        # may still be on their way from transfers).
        if (
            counts and not queued and len(seen) > 3 and len(set(seen[-4:])) == 1
        ) or time.monotonic() > deadline:
            break
        time.sleep(1)
    total: dict[str, int] = {}
    for by_status in counts.values():
        for status, n in by_status.items():
            total[status] = total.get(status, 0) + n
    kinds = ", ".join(f"{kind} {sum(s.values()):,}" for kind, s in sorted(counts.items()))
    say(
        f"messages   {sum(total.values()):,} to households ({kinds}): "
        + ", ".join(f"{n:,} {status.replace('_', ' ')}" for status, n in sorted(total.items()))
    )
    return counts
