"""What the field app leaves on a shared phone: records and the offline copy encrypted under the
worker's password (nothing personal in what the browser stores, in the page or on disk),
nothing readable after sign-out, nothing of one worker readable by another, and a password
changed on the server opening the records kept under the previous one."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from shared.auth import AUDITOR
from tests.e2e.conftest import api
from tests.e2e.field_pages import (
    FULL_HOUSEHOLD,
    add_field_worker,
    controlled_by_service_worker,
    copy_downloaded,
    fill_household,
    household,
    open_field,
    raw_store,
    synced,
    unlock,
    waiting_records,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def secret_household():
    """The full household under names found nowhere else, and every value that must stay hidden."""
    marker = uuid.uuid4().hex[:6].upper()
    members = [dict(m) for m in FULL_HOUSEHOLD["members"]]
    members[0] = {**members[0], "given_names": f"Zenaida{marker}", "family_names": f"Quisqueya{marker}"}
    consent = {**FULL_HOUSEHOLD["consent"], "given_by": f"Zenaida{marker} Quisqueya{marker}"}
    body = household(members=members, consent=consent)
    hidden = [
        f"Zenaida{marker}",
        f"Quisqueya{marker}",
        "Ramón Antonio",
        "Calle Duarte",
        "555 0142",
        "8095550142",
        "028-0012345-6",
        "LA-2017-000981",
    ]
    return body, hidden


def disk_bytes(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def encodings(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("latin-1", "ignore")]


def test_what_is_stored_in_the_browser_holds_no_name_phone_or_document(profile, country):
    context, folder = profile
    page = context.new_page()
    open_field(page, country)
    copy_downloaded(page)
    neighbour = api(country, "registry", "/v1/households?admin_code=DO-11&limit=1", [AUDITOR])["items"][0]
    body, hidden = secret_household()
    context.set_offline(True)  # so the record stays on the device
    fill_household(page, body)
    page.wait_for_selector("#waiting:has-text('1')")
    assert waiting_records(page)[0]["household"]["members"][0]["given_names"] == hidden[0]

    stored = raw_store(page)
    assert "#store records 1" in stored and "#store copy 0" not in stored
    assert [value for value in hidden + [neighbour["head_name"]] if value in stored] == []

    # On disk, with a value written in clear beside them: the scan sees IndexedDB's clear text.
    page.evaluate(
        """() => new Promise((ok) => {
            const open = indexedDB.open('control');
            open.onupgradeneeded = () => open.result.createObjectStore('values');
            open.onsuccess = () => {
                const tx = open.result.transaction('values', 'readwrite');
                tx.objectStore('values').put('control-value-in-clear-0xC0FFEE', 1);
                tx.oncomplete = () => ok(true);
            };
        })"""
    )
    page.close()
    on_disk = disk_bytes(folder)
    assert any(form in on_disk for form in encodings("control-value-in-clear-0xC0FFEE"))
    found = [
        value for value in hidden + [neighbour["head_name"]] if any(f in on_disk for f in encodings(value))
    ]
    assert found == []


def test_after_sign_out_nothing_is_readable_and_another_worker_reads_nothing_of_the_first(context, country):
    beto = f"campo-beto-{uuid.uuid4().hex[:4]}"
    add_field_worker(country, beto, ["DO-11"])
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    open_field(page, country)
    body, hidden = secret_household()
    context.set_offline(True)
    fill_household(page, body)
    page.wait_for_selector("#waiting:has-text('1')")
    context.route("**/api/registry/v1/households/sync", lambda route: route.abort())  # it waits
    context.set_offline(False)
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert "1 records are still waiting" in dialogs[0]

    stored = raw_store(page)
    assert "#store records 1" in stored and "#store copy 0" in stored
    assert [value for value in hidden if value in stored] == []
    locked = page.evaluate(
        """async () => {
            const vault = await import('/static/field/vault.js');
            try { await vault.all('records'); return 'read'; } catch (e) { return e.message; }
        }"""
    )
    assert "locked" in locked

    # Another worker on the same browser: none of Carla's records, and her ciphertexts passed off
    # as his own (the owner rewritten in the database) do not open under his key.
    open_field(page, country, beto)
    page.wait_for_selector("#queue li:has-text('Nothing waiting')", state="attached")
    opened = page.evaluate(
        """async (beto) => {
            const done = (request) => new Promise((ok) => { request.onsuccess = () => ok(request.result); });
            const db = await done(indexedDB.open('amparo-field'));
            const all = await done(db.transaction('records').objectStore('records').getAll());
            await new Promise((ok) => {
                const tx = db.transaction('records', 'readwrite');
                all.forEach((entry) => tx.objectStore('records').put({ ...entry, owner: beto }));
                tx.oncomplete = ok;
            });
            const vault = await import('/static/field/vault.js');
            const read = await vault.all('records');
            await new Promise((ok) => {
                const tx = db.transaction('records', 'readwrite');
                all.forEach((entry) => tx.objectStore('records').put(entry));
                tx.oncomplete = ok;
            });
            return [all.length, read.length];
        }""",
        beto,
    )
    assert opened == [1, 0]
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")

    # Carla again: her record is still there, and goes to the registry.
    context.unroute("**/api/registry/v1/households/sync")
    open_field(page, country)
    [household_id] = synced(page, "created")
    stored_household = api(country, "registry", f"/v1/households/{household_id}", [AUDITOR])
    assert stored_household["members"][0]["given_names"] == hidden[0]


def test_a_password_changed_on_the_server_opens_the_records_kept_under_the_previous_one(context, country):
    worker = f"campo-rosa-{uuid.uuid4().hex[:4]}"
    previous = add_field_worker(country, worker, ["DO-11"])
    page = context.new_page()
    open_field(page, country, worker)
    controlled_by_service_worker(page)
    context.route("**/api/registry/v1/households/sync", lambda route: route.abort())  # it waits
    body, hidden = secret_household()
    fill_household(page, body)
    page.wait_for_selector("#waiting:has-text('1')")

    password = add_field_worker(country, worker, ["DO-11"])  # a new password on the server
    page.reload()
    unlock(page, worker, password)
    page.wait_for_selector("#sign-in-error:has-text('previous password')")
    page.fill("#sign-in input[name=previous]", "a wrong previous password")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#sign-in-error:has-text('Wrong username or password')")
    page.fill("#sign-in input[name=password]", password)
    page.fill("#sign-in input[name=previous]", previous)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert [r["household"]["members"][0]["given_names"] for r in waiting_records(page)] == [hidden[0]]

    # From now on the new password alone opens them, also with no connection.
    context.set_offline(True)
    page.reload()
    unlock(page, worker, previous)
    page.wait_for_selector("#sign-in-error:has-text('Wrong username or password')")
    unlock(page, worker, password)
    page.wait_for_selector("#app:not([hidden])")
    assert len(waiting_records(page)) == 1
