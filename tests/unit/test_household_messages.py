"""Messages to households, their rules alone: which payment moves a household hears of, whom the
registry may write to, in which words, and how a message's state moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.registry.domain import messages as rules
from services.transfers.domain.messages import collection_code, message_requests
from shared.contracts.messages import message_id, template_problems

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)
PROGRAMME = {"name": "Fiona", "messages": {"pickup_place": "Banreservas, Higüey", "templates": {}}}


def change(state: str, channel: str = "bank_account", payment: str = "p1") -> dict:
    return {
        "payment_id": payment,
        "end_to_end_id": "AMP0123456789abcdef0123456789abcdef",
        "household_id": "h1",
        "amount": "2500.00",
        "currency": "DOP",
        "channel_type": channel,
        "state": state,
    }


def test_households_hear_of_five_moves_and_a_reissue_is_no_new_entitlement():
    states = ["proposed", "approved", "instructed", "settled", "failed", "withdrawn", "rejected", "reissued"]
    kinds = [r["kind"] for r in message_requests([change(s) for s in states], "prog", PROGRAMME, AT)]
    assert kinds == ["entitled", "approved", "sent", "settled", "failed"]
    again = message_requests([change("proposed"), change("approved")], "prog", PROGRAMME, AT, reissue=True)
    assert [r["kind"] for r in again] == ["approved"]
    # The same payment and move is the same message, however often asked.
    assert message_requests([change("approved")], "prog", PROGRAMME, AT)[0]["message_id"] == message_id(
        "p1", "approved"
    )


def test_cash_is_told_where_and_with_which_code_others_are_not():
    [cash] = message_requests([change("instructed", "cash_pickup")], "prog", PROGRAMME, AT)
    [bank] = message_requests([change("instructed")], "prog", PROGRAMME, AT)
    assert (
        (cash["place"], cash["code"])
        == ("Banreservas, Higüey", "89ABCDEF")
        == (cash["place"], collection_code(change("x")["end_to_end_id"]))
    )
    assert (bank["place"], bank["code"]) == (None, None)
    text = rules.wording(cash, "es")
    assert (
        "Banreservas, Higüey" in text
        and "89ABCDEF" in text
        and "2,500.00 DOP" in text
        and text.endswith("mensajes.")
    )


def test_templates_name_only_what_a_message_can_say():
    assert template_problems("{programme}: {amount} {currency} en {place}, código {code}") == []
    assert template_problems("Hola {name}") == [
        "{name} is not one of programme, amount, currency, place, code"
    ]
    assert template_problems("{amount") and template_problems("{0}")
    assert template_problems("{amount:.2f}") == ["{amount} may not be formatted: write it alone"]
    # Whatever a stored template says, writing it never runs it.
    request = {
        **message_requests([change("approved")], "prog", PROGRAMME, AT)[0],
        "templates": {"es": "{amount:>99} {x}"},
    }
    assert rules.wording(request, "es").startswith("{amount:>99} {x}")


def whom(**overrides) -> rules.Recipient:
    values = dict(
        household_id="h1",
        admin_code="DO-11",
        language=None,
        purposes=("registry", "contact"),
        phone="+1 809 555 0101",
        phone_changed_at=None,
        opted_out=False,
    )
    return rules.Recipient(**{**values, **overrides})


def test_the_registry_writes_only_with_consent_to_an_unchanged_number_until_told_to_stop():
    assert rules.refusal(whom(), AT) is None
    assert "consent" in rules.refusal(whom(purposes=("registry", "emergency_transfers")), AT)
    assert "no more" in rules.refusal(whom(opted_out=True), AT)
    assert rules.refusal(whom(phone=None), AT) == "no phone recorded"
    assert "changed on 2026-12-08" in rules.refusal(whom(phone_changed_at=AT + timedelta(days=1)), AT)
    assert rules.refusal(whom(phone_changed_at=AT - timedelta(days=30)), AT) is None  # before the decision
    assert (
        rules.language_of(whom()),
        rules.language_of(whom(admin_code="BZ-CY")),
        rules.language_of(whom(language="en")),
    ) == ("es", "en", "en")
    assert rules.asks_to_stop("STOP") and rules.asks_to_stop("no más") and not rules.asks_to_stop("stopper")


def test_a_message_is_given_up_after_its_attempts_and_a_delivery_is_never_undone():
    message = rules.Message("m", "h1", "p1", "prog", "settled", "es", "…", rules.QUEUED, AT, AT)
    for n in range(rules.ATTEMPTS - 1):
        message = message.attempted(AT, False, "no answer", final=False)
        assert message.status == rules.QUEUED and message.next_attempt_at == AT + rules.FIRST_RETRY * 2**n
    assert message.attempted(AT, False, "no answer", final=False).status == rules.FAILED
    assert message.attempted(AT, False, "number barred", final=True).status == rules.FAILED
    delivered = message.attempted(AT, True, None, final=False).reported(True, AT, None)
    assert delivered.status == rules.DELIVERED
    assert delivered.reported(False, AT, "expired").status == rules.DELIVERED
