"""Notifications end to end: real order actions over HTTP, the stream records they wrote read back
from moto's DynamoDB stream, fed to app.py's stream handler, e-mails caught by a fake sender.

The table test walks PRODUCT.md's notification table row by row: for each action, exactly who gets
which e-mail (and so, who does not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import create_customer, create_user, verified_sender_domain
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run

ORDER_DESK = "order-desk@acme.test"
# Everyone who might be told anything, by the name the table below uses.
PEOPLE = {
    "buyer": "buyer@example.test",
    "boss": "boss@example.test",  # approver of the world's customer
    "rep": "rep@example.test",  # the customer's sales rep
    "desk": "desk@example.test",  # order desk staff (a person)
    "hq": "hq@example.test",  # approver at the head office above the customer
    "admin": "admin@acme.test",
    "order desk": ORDER_DESK,  # the tenant's order-desk address (settings)
}
NAME_OF = {address: name for name, address in PEOPLE.items()}


@dataclass
class Mail:
    world: World
    tap: StreamTap
    outbox: FakeEmailSender

    def skip(self) -> None:
        """Forget what the set-up wrote: only the action under test is delivered."""
        self.tap.drain()

    def deliver(self) -> list[OutgoingEmail]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.outbox.sent[before:]


@pytest.fixture
def mail(world: World) -> Mail:
    r = world.admin.patch("/settings", {"order_desk_email": ORDER_DESK})
    assert r.status_code == 200, r.body
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    return Mail(world, StreamTap(), outbox)


def event_of(email: OutgoingEmail) -> str:
    return email.dedupe_key.split(":", 1)[0]


def told(emails: list[OutgoingEmail]) -> set[tuple[str, str]]:
    return {(event_of(m), NAME_OF.get(m.to, m.to)) for m in emails}


# --- set-ups: each returns the order the action is about ------------------------------------------
def ok(reply: Any, status: int = 200) -> Any:
    assert reply.status_code == status, reply.body
    return reply.json


def draft(w: World) -> str:
    return str(w.order(customer_reference="PO-77")["id"])


def submitted(w: World) -> str:
    oid = draft(w)
    ok(w.buyer.post(f"/orders/{oid}/submit"))
    return oid


def pending(w: World) -> str:
    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"approval_policy": "always"}))
    oid = draft(w)
    assert ok(w.buyer.post(f"/orders/{oid}/submit"))["status"] == "pending_approval"
    return oid


def proposed(w: World) -> str:
    oid = submitted(w)
    ok(w.rep.post(f"/orders/{oid}/propose", {"note": "Can ship 1 now, rest next week", "lines": []}))
    return oid


def confirmed(w: World) -> str:
    oid = submitted(w)
    ok(w.desk.post(f"/orders/{oid}/confirm"))
    return oid


def shipped(w: World) -> str:
    oid = confirmed(w)
    ok(w.desk.post(f"/orders/{oid}/shipments", {"date": "2026-03-02", "document_number": "DN-1"}), 201)
    return oid


def staff_draft(w: World) -> str:
    body = {"customer_id": w.customer["id"], "lines": [{"sku": "SKU-1", "quantity": 3}]}
    return str(ok(w.rep.post("/orders", body), 201)["id"])


def staff_sent(w: World) -> str:
    oid = staff_draft(w)
    ok(w.rep.post(f"/orders/{oid}/send"))
    return oid


def head_office_and_approval_always(w: World) -> None:
    """The customer gets a head office with an approver of its own, an inactive approver, and
    approval for every order."""
    hq = create_customer(w.admin, "HQ-1")
    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"parent_id": hq["id"], "approval_policy": "always"}))
    create_user(w.admin, "hq", ["customer-approvers"], customer_ids=[hq["id"]])
    create_user(w.admin, "gone", ["customer-approvers"], customer_ids=[w.customer["id"]], status="inactive")


def assign_rep(w: World, rep_id: str | None) -> None:
    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"sales_rep_id": rep_id}))


def deactivate(w: World, who: str) -> None:
    ok(w.admin.patch(f"/users/{w.ids[who]}", {"status": "inactive"}))


def proposed_before_the_rep_left(w: World) -> str:
    """The rep proposes, then leaves (deactivated: they write nothing more, API.md)."""
    oid = proposed(w)
    deactivate(w, "rep")
    return oid


def submit_after_the_rep_is_assigned(w: World, order_id: str) -> Any:
    assign_rep(w, w.ids["rep"])
    return ok(w.buyer.post(f"/orders/{order_id}/submit"))


def confirm_after_the_buyer_left(w: World, order_id: str) -> Any:
    deactivate(w, "buyer")
    return ok(w.desk.post(f"/orders/{order_id}/confirm"))


# --- the table --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    setup: Callable[[World], str]
    action: Callable[[World, str], Any]
    expected: frozenset[tuple[str, str]]
    says: str | None = None  # text every e-mail of the row carries (a reason, a note, a number)
    before: Callable[[World], None] | None = None


def row(
    setup: Callable[[World], str],
    action: Callable[[World, str], Any],
    *expected: tuple[str, str],
    says: str | None = None,
    before: Callable[[World], None] | None = None,
) -> Row:
    return Row(setup, action, frozenset(expected), says, before)


TABLE = {
    # order needs approval → the order's approvers (customer and ancestors; not inactive ones)
    "needs approval: approvers of the customer and its head office": row(
        draft,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/submit")),
        ("approval_needed", "boss"),
        ("approval_needed", "hq"),
        before=head_office_and_approval_always,
    ),
    # order approved / rejected → the submitter (an approval also puts it in the supplier's queue)
    "approved: the submitter, and the sales rep as a new order": row(
        pending,
        lambda w, o: ok(w.approver.post(f"/orders/{o}/approve")),
        ("approved", "buyer"),
        ("submitted", "rep"),
    ),
    "rejected: the submitter, with the reason": row(
        pending,
        lambda w, o: ok(w.approver.post(f"/orders/{o}/reject", {"reason": "Over the monthly budget"})),
        ("rejected", "buyer"),
        says="Over the monthly budget",
    ),
    # order reached submitted → the sales rep, else the order-desk address
    "submitted: the sales rep": row(
        draft, lambda w, o: ok(w.buyer.post(f"/orders/{o}/submit")), ("submitted", "rep"), says="PO-77"
    ),
    "submitted: the customer's current rep when the order had none": row(
        draft,
        submit_after_the_rep_is_assigned,
        ("submitted", "rep"),
        before=lambda w: assign_rep(w, None),
    ),
    "submitted: the order desk when the rep is inactive": row(
        draft,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/submit")),
        ("submitted", "order desk"),
        before=lambda w: deactivate(w, "rep"),
    ),
    # proposal sent → the submitter; staff-created: the customer's users with orders.place
    "proposal sent: the submitter, with the note": row(
        submitted,
        lambda w, o: ok(w.rep.post(f"/orders/{o}/propose", {"note": "Only 1 in stock", "lines": []})),
        ("proposal_sent", "buyer"),
        says="Only 1 in stock",
    ),
    "proposal sent on a staff-created order: the customer's orderers": row(
        staff_draft,
        lambda w, o: ok(w.rep.post(f"/orders/{o}/send")),
        ("proposal_sent", "buyer"),
        ("proposal_sent", "boss"),
    ),
    # proposal accepted / declined → the sales rep (else order desk)
    "proposal accepted: the sales rep (the accepting buyer hears nothing)": row(
        proposed, lambda w, o: ok(w.buyer.post(f"/orders/{o}/accept")), ("proposal_accepted", "rep")
    ),
    "proposal accepted on a staff-created order: the rep, and the other orderers of its confirmation": row(
        staff_sent,
        lambda w, o: ok(w.approver.post(f"/orders/{o}/accept")),
        ("proposal_accepted", "rep"),
        ("confirmed", "buyer"),
    ),
    "proposal declined: the sales rep, with the reason": row(
        proposed,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/decline", {"reason": "We need all of it now"})),
        ("proposal_declined", "rep"),
        says="We need all of it now",
    ),
    "proposal declined: the order desk when the customer has no rep": row(
        proposed_before_the_rep_left,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/decline", {"reason": "No"})),
        ("proposal_declined", "order desk"),
    ),
    # confirmed, shipment, invoice, payment, completed → the submitter
    "confirmed: the submitter": row(
        submitted, lambda w, o: ok(w.desk.post(f"/orders/{o}/confirm")), ("confirmed", "buyer")
    ),
    "confirmed: nobody when the submitter is inactive": row(submitted, confirm_after_the_buyer_left),
    "shipment recorded: the submitter, with the tracking number": row(
        confirmed,
        lambda w, o: ok(
            w.desk.post(
                f"/orders/{o}/shipments",
                {"date": "2026-03-02", "document_number": "DN-9", "carrier": "UPS", "tracking_number": "1Z999"},
            ),
            201,
        ),
        ("shipment_recorded", "buyer"),
        says="1Z999",
    ),
    "invoice recorded: the submitter": row(
        confirmed,
        lambda w, o: ok(
            w.desk.post(
                f"/orders/{o}/invoices",
                {"date": "2026-03-02", "number": "INV-42", "amount": "24.00", "due_date": "2026-04-01"},
            ),
            201,
        ),
        ("invoice_recorded", "buyer"),
        says="INV-42",
    ),
    "payment recorded: the submitter": row(
        confirmed,
        lambda w, o: ok(
            w.desk.post(f"/orders/{o}/payments", {"date": "2026-03-03", "reference": "TX-7", "amount": "5.00"}), 201
        ),
        ("payment_recorded", "buyer"),
        says="TX-7",
    ),
    "completed: the submitter (with the payment that completed it)": row(
        shipped,
        lambda w, o: ok(
            w.desk.post(f"/orders/{o}/payments", {"date": "2026-03-03", "reference": "TX-8", "amount": "24.00"}), 201
        ),
        ("payment_recorded", "buyer"),
        ("completed", "buyer"),
    ),
    # cancelled → the other side
    "cancelled by the buyer: the sales rep, with the reason": row(
        submitted,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/cancel", {"reason": "Ordered twice"})),
        ("cancelled", "rep"),
        says="Ordered twice",
    ),
    "cancelled by the supplier: the submitter": row(
        submitted,
        lambda w, o: ok(w.desk.post(f"/orders/{o}/cancel", {"reason": "Discontinued"})),
        ("cancelled", "buyer"),
    ),
    "cancelled by an approver before it reached the supplier: the submitter": row(
        pending,
        lambda w, o: ok(w.approver.post(f"/orders/{o}/cancel", {"reason": "Not this month"})),
        ("cancelled", "buyer"),
        says="Not this month",
    ),
    "cancelled own draft: nobody": row(
        draft, lambda w, o: ok(w.buyer.post(f"/orders/{o}/cancel", {"reason": "Changed my mind"}))
    ),
    "cancelled staff draft: nobody (the customer never saw it)": row(
        staff_draft, lambda w, o: ok(w.rep.post(f"/orders/{o}/cancel", {"reason": "Wrong customer"}))
    ),
    # message posted → the other side
    "message from the buyer: the sales rep": row(
        submitted,
        lambda w, o: ok(w.buyer.post(f"/orders/{o}/messages", {"body": "Can you deliver by Friday?"}), 201),
        ("message_posted", "rep"),
        says="Can you deliver by Friday?",
    ),
    "message from the supplier: the submitter": row(
        submitted,
        lambda w, o: ok(w.desk.post(f"/orders/{o}/messages", {"body": "Friday is fine."}), 201),
        ("message_posted", "buyer"),
        says="Friday is fine.",
    ),
    "message from the supplier on a staff-created order: the customer's orderers": row(
        staff_sent,
        lambda w, o: ok(w.rep.post(f"/orders/{o}/messages", {"body": "Prices as agreed by phone"}), 201),
        ("message_posted", "buyer"),
        ("message_posted", "boss"),
    ),
    # and what is not in the table tells nobody
    "editing a draft: nobody": row(
        draft, lambda w, o: ok(w.buyer.post(f"/orders/{o}/lines", {"sku": "BOX-6", "quantity": 6}), 201)
    ),
}


@pytest.mark.parametrize("case", list(TABLE), ids=list(TABLE))
def test_notification_table(mail: Mail, case: str) -> None:
    spec = TABLE[case]
    w = mail.world
    if spec.before:
        spec.before(w)
    order_id = spec.setup(w)
    mail.skip()
    spec.action(w, order_id)
    emails = mail.deliver()
    assert told(emails) == spec.expected
    link = f"/orders/{order_id}"
    for m in emails:
        assert link in m.text and link in m.html
        if spec.says:
            assert spec.says in m.text, m.text


# --- languages --------------------------------------------------------------------------------------
def test_each_reader_gets_the_email_in_their_own_language(mail: Mail) -> None:
    w = mail.world
    cid = w.customer["id"]
    for username, locale in (("amelie", "fr"), ("zofia", "pl"), ("ivan", "bg"), ("hans", "de")):
        create_user(w.admin, username, ["customer-buyers"], customer_ids=[cid], locale=locale)
    ok(w.admin.patch("/settings", {"default_locale": "pl"}))
    order_id = staff_draft(w)  # 3 x 10.00 + 20 % tax = 36.00
    mail.skip()
    ok(w.rep.post(f"/orders/{order_id}/send"))

    by_reader = {m.to.split("@")[0]: m for m in mail.deliver()}

    assert set(by_reader) == {"buyer", "boss", "amelie", "zofia", "ivan", "hans"}
    number = ok(w.rep.get(f"/orders/{order_id}"))["number"]
    french, polish, bulgarian = by_reader["amelie"], by_reader["zofia"], by_reader["ivan"]
    assert french.subject == f"La commande {number} attend votre validation"
    assert "Bonjour Amelie," in french.text and "Total TTC : 36,00 EUR" in french.text
    assert "Statut : en attente du client" in french.text and 'lang="fr"' in french.html
    assert polish.subject == f"Zamówienie {number} czeka na Twoją decyzję"
    assert "Wartość brutto: 36,00 EUR" in polish.text and "oczekuje na decyzję klienta" in polish.html
    assert bulgarian.subject == f"Поръчка {number} очаква вашия отговор"
    assert "Обща сума с ДДС: 36,00 EUR" in bulgarian.text and "Вижте поръчката" in bulgarian.html  # noqa: RUF001
    # No locale of their own, or one we do not write: the tenant's default (Polish here).
    assert by_reader["buyer"].subject == by_reader["hans"].subject == polish.subject


# --- exactly once, partial failures ----------------------------------------------------------------
def test_the_same_batch_delivered_twice_sends_each_email_once(mail: Mail) -> None:
    w = mail.world
    order_id = pending(w)
    mail.skip()
    ok(w.approver.post(f"/orders/{order_id}/approve"))
    event = mail.tap.event()

    assert run(event) == {"batchItemFailures": []}
    assert run(event) == {"batchItemFailures": []}
    assert run({"Records": list(reversed(event["Records"]))}) == {"batchItemFailures": []}

    assert told(mail.outbox.sent) == {("approved", "buyer"), ("submitted", "rep")}
    assert len(mail.outbox.sent) == 2
    # The claims (and the order's record of each e-mail) written meanwhile stream too; the handler ignores them.
    claims = mail.tap.event()
    assert {r["dynamodb"]["NewImage"]["type"]["S"] for r in claims["Records"]} == {"notification_sent", "order_mail"}
    assert run(claims) == {"batchItemFailures": []}
    assert len(mail.outbox.sent) == 2


POISONED = {  # an order event whose image cannot be decoded
    "eventID": "poison",
    "eventName": "INSERT",
    "eventSource": "aws:dynamodb",
    "awsRegion": "us-east-1",
    "dynamodb": {
        "ApproximateCreationDateTime": 1795000000.0,
        "Keys": {"pk": {"S": "T#acme#EVENTS"}, "sk": {"S": "x"}},
        "NewImage": {
            "pk": {"S": "T#acme#EVENTS"},
            "sk": {"S": "x"},
            "type": {"S": "order_event"},
            "version": {"N": "not-a-number"},
        },
        "SequenceNumber": "42",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}


def test_a_poisoned_record_fails_alone_and_the_rest_of_its_batch_is_sent(mail: Mail) -> None:
    w = mail.world
    order_id = draft(w)
    mail.skip()
    ok(w.buyer.post(f"/orders/{order_id}/submit"))
    ok(w.buyer.post(f"/orders/{order_id}/messages", {"body": "Urgent, please"}), 201)
    records = mail.tap.drain()
    batch = {"Records": [*records[:2], {**POISONED, "eventSourceARN": mail.tap.arn}, *records[2:]]}

    assert run(batch) == {"batchItemFailures": [{"itemIdentifier": "42"}]}
    assert told(mail.outbox.sent) == {("submitted", "rep"), ("message_posted", "rep")}
    # Lambda retries from the failed record on: what was sent is not sent again.
    assert run(batch) == {"batchItemFailures": [{"itemIdentifier": "42"}]}
    assert len(mail.outbox.sent) == 2


def test_a_refused_email_fails_its_record_and_goes_out_once_on_the_retry(mail: Mail) -> None:
    w = mail.world
    order_id = pending(w)
    mail.skip()
    ok(w.approver.post(f"/orders/{order_id}/approve"))
    event = mail.tap.event()
    mail.outbox.refuse.add(PEOPLE["rep"])

    result = run(event)

    # Approving records two events, each its own record: the one whose e-mail was refused fails alone.
    images = [r for r in event["Records"] if "NewImage" in r["dynamodb"]]
    events = [r for r in images if r["dynamodb"]["NewImage"].get("type", {}).get("S") == "order_event"]
    [submitted] = [r for r in events if r["dynamodb"]["NewImage"]["event_type"]["S"] == "order.submitted"]
    assert result == {"batchItemFailures": [{"itemIdentifier": submitted["dynamodb"]["SequenceNumber"]}]}
    assert told(mail.outbox.sent) == {("approved", "buyer")}  # the other event's e-mail still went out
    mail.outbox.refuse.clear()
    assert run(event) == {"batchItemFailures": []}
    assert told(mail.outbox.sent) == {("approved", "buyer"), ("submitted", "rep")}
    assert len(mail.outbox.sent) == 2


def test_each_email_tells_the_status_its_own_event_left_even_when_read_late(mail: Mail) -> None:
    """A quick confirm, partial shipment, shipment, invoice and payment, all written before the stream is
    read: each e-mail still says what its own event did to the order, in the order they happened."""
    w = mail.world
    oid = submitted(w)
    mail.skip()
    line = ok(w.buyer.get(f"/orders/{oid}"))["lines"][0]["id"]
    ok(w.desk.post(f"/orders/{oid}/confirm"))
    part = {"date": "2026-03-02", "document_number": "DN-1", "lines": [{"id": line, "quantity": 1}]}
    ok(w.desk.post(f"/orders/{oid}/shipments", part), 201)
    ok(w.desk.post(f"/orders/{oid}/shipments", {"date": "2026-03-03", "document_number": "DN-2"}), 201)
    ok(w.desk.post(f"/orders/{oid}/invoices", {"date": "2026-03-03", "number": "INV-1", "amount": "24.00"}), 201)
    ok(w.desk.post(f"/orders/{oid}/payments", {"date": "2026-03-04", "reference": "PAY-1", "amount": "24.00"}), 201)

    sent = mail.deliver()

    status = [next(ln for ln in m.text.splitlines() if ln.startswith("Status: ")) for m in sent]
    assert [(event_of(m), s.removeprefix("Status: ")) for m, s in zip(sent, status, strict=True)] == [
        ("confirmed", "confirmed"),
        ("shipment_recorded", "partially shipped"),
        ("shipment_recorded", "shipped"),
        ("invoice_recorded", "shipped"),
        # The payment completes the order: its event, like the completion, carries the order as that one
        # action left it (API.md's event feed).
        ("payment_recorded", "completed"),
        ("completed", "completed"),
    ]
    assert {m.to for m in sent} == {PEOPLE["buyer"]}


# --- the whole path, with the real SES adapter on moto ---------------------------------------------
def test_an_order_action_reaches_ses_as_one_mime_message_per_reader(mail: Mail) -> None:
    import email
    import email.utils
    from email.header import decode_header, make_header

    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    from chalicelib.notifications.sender import SesEmailSender

    w = mail.world
    verified_sender_domain(w.admin, "acme.test")  # moto refuses unverified senders, and so does PATCH /settings
    ok(w.admin.patch("/settings", {"sender_email": "orders@acme.test", "portal_url": "https://shop.acme.test"}))
    client = boto3.client("sesv2", region_name="us-east-1")
    get_services().email_sender = SesEmailSender(client)
    order_id = pending(w)
    mail.skip()
    ok(w.approver.post(f"/orders/{order_id}/reject", {"reason": "Budget <exceeded> & more"}))

    assert run(mail.tap.event()) == {"batchItemFailures": []}

    [sent] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    msg = email.message_from_string(sent.raw_data)
    assert msg["To"] == PEOPLE["buyer"] and email.utils.parseaddr(msg["From"]) == ("Acme Ltd", "orders@acme.test")
    assert str(make_header(decode_header(msg["Subject"]))).endswith("was not approved")
    assert msg["X-OrderGate-Event"].startswith("rejected:event:")  # the recorded event's id: stable on redelivery
    parts: dict[str, str] = {
        p.get_content_type(): bytes(p.get_payload(decode=True)).decode() for p in msg.walk() if not p.is_multipart()
    }
    assert "Reason: Budget <exceeded> & more" in parts["text/plain"]
    assert "Budget &lt;exceeded&gt; &amp; more" in parts["text/html"]
    assert f'href="https://shop.acme.test/orders/{order_id}"' in parts["text/html"]


def test_a_delivery_note_or_invoice_attached_for_the_customer_is_mailed_to_them_by_name(mail: Mail) -> None:
    """The shipment and invoice e-mails go out when recorded; a file the supplier later attaches to one,
    visible to the customer, is an e-mail of its own naming the shipment's or invoice's number and the
    file. Files the customer does not see, files not linked to either, and the buyer's own tell nobody."""
    from tests.functional.test_order_documents import upload

    w = mail.world
    oid = submitted(w)
    ok(w.desk.post(f"/orders/{oid}/confirm"))
    shipment = ok(w.desk.post(f"/orders/{oid}/shipments", {"date": "2026-11-24", "document_number": "WZ-9"}), 201)
    invoice = ok(
        w.desk.post(f"/orders/{oid}/invoices", {"date": "2026-11-24", "number": "FV-3", "amount": "1.00"}), 201
    )
    mail.skip()
    note = {"kind": "delivery_note", "filename": "WZ-9.pdf", "shipment_id": shipment["shipments"][0]["id"]}
    upload(mail.world, w.desk, oid, visible_to_customer=True, **note)
    bill = {"kind": "invoice", "filename": "FV-3.pdf", "invoice_id": invoice["invoices"][0]["id"]}
    upload(mail.world, w.desk, oid, visible_to_customer=True, **bill)
    upload(mail.world, w.desk, oid, visible_to_customer=False, **{**note, "filename": "internal.pdf"})
    upload(mail.world, w.desk, oid, visible_to_customer=True, kind="other", filename="terms.pdf")
    upload(mail.world, w.buyer, oid, filename="po.pdf")
    emails = mail.deliver()
    assert told(emails) == {("shipment_document", "buyer"), ("invoice_document", "buyer")}
    by_event = {event_of(m): m for m in emails}
    assert by_event["shipment_document"].subject == "Delivery note WZ-9 for order " + shipment["number"] + ": WZ-9.pdf"
    assert "attached WZ-9.pdf to delivery note WZ-9" in by_event["shipment_document"].text
    assert "attached FV-3.pdf to invoice FV-3" in by_event["invoice_document"].text
    assert f"/orders/{oid}" in by_event["invoice_document"].text
