"""The one authority over orders (domain/authority.py), table by table: who sees an order, who may act on
it, whom it waits on and who is told."""

from __future__ import annotations

import pytest

from chalicelib.domain.authority import (
    Audience,
    OrderView,
    Person,
    Waiting,
    audience,
    may,
    sees,
    waiting_on,
    who_may,
)
from chalicelib.domain.order_states import Action
from chalicelib.domain.permissions import BUILTIN_GROUPS

GROUPS = {g.id: frozenset(p.value for p in g.permissions) for g in BUILTIN_GROUPS}


def staff(uid: str, group: str) -> Person:
    return Person(uid, "staff", GROUPS[group])


def customer(uid: str, group: str, *customers: str, stands_in_for: tuple[Person, ...] = ()) -> Person:
    return Person(uid, "customer", GROUPS[group], customers, stands_in_for=stands_in_for)


ADMIN = staff("admin", "administrators")
DESK = staff("desk", "order-desk")
REP = staff("rep", "sales-reps")
OTHER_REP = staff("rep2", "sales-reps")
BUYER = customer("buyer", "customer-buyers", "branch")
COLLEAGUE = customer("colleague", "customer-buyers", "branch")
APPROVER = customer("approver", "customer-approvers", "branch")
HQ_APPROVER = customer("hq-approver", "customer-approvers", "hq")
HQ_ADMIN = customer("hq-admin", "customer-admins", "hq")
STRANGER = customer("stranger", "customer-admins", "elsewhere")
DELEGATE = customer("delegate", "customer-buyers", "branch", stands_in_for=(HQ_APPROVER,))
FINANCE = Person("finance", "staff", frozenset({"orders.read_all", "orders.fulfil"}))


def order(status: str, source: str = "portal", created_by: str = "buyer", **more: object) -> OrderView:
    return OrderView(
        status=status,
        source=source,
        customer_id="branch",
        customer_path=("branch", "hq"),
        created_by=created_by,
        submitted_by=created_by if status != "draft" else None,
        rep_ids=frozenset({"rep"}),
        **more,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("who", "o", "expected"),
    [
        (ADMIN, order("draft"), True),
        (DESK, order("submitted"), True),
        (REP, order("submitted"), True),  # their customer's
        (OTHER_REP, order("submitted"), False),
        (OTHER_REP, order("draft", "staff", "rep2"), True),  # what they created, whatever the customer
        (BUYER, order("draft"), True),
        (COLLEAGUE, order("submitted"), False),  # without orders.view_org: their own only
        (COLLEAGUE, order("awaiting_customer", "staff", "rep"), True),  # a staff order sent to them
        (COLLEAGUE, order("draft", "staff", "rep"), False),  # the supplier's draft is nobody's business
        (APPROVER, order("draft", "staff", "rep"), False),
        (HQ_APPROVER, order("pending_approval"), True),  # the branch's orders, as their own customer's
        (HQ_APPROVER, order("confirmed"), True),  # and still after approving
        (HQ_ADMIN, order("submitted"), True),
        (STRANGER, order("submitted"), False),
        (DELEGATE, order("pending_approval", created_by="colleague"), True),  # waits on whom they cover
        (DELEGATE, order("submitted", created_by="colleague"), False),  # no longer waits on them
        (DELEGATE, order("pending_approval", created_by="hq-approver"), False),  # the approver's own: not on them
        (
            DELEGATE,
            order("awaiting_customer", created_by="hq-approver", acceptance_reasons=({"code": "policy"},)),
            True,
        ),
        (APPROVER, order("awaiting_customer", acceptance_reasons=({"code": "policy"},)), True),
    ],
)
def test_who_sees_an_order(who: Person, o: OrderView, expected: bool) -> None:
    assert sees(who, o) is expected


@pytest.mark.parametrize(
    ("who", "o", "act", "expected"),
    [
        (BUYER, order("draft"), Action.SUBMIT, True),
        (COLLEAGUE, order("draft"), Action.EDIT, False),
        (APPROVER, order("pending_approval"), Action.APPROVE, True),
        (HQ_APPROVER, order("pending_approval"), Action.REJECT, True),
        (BUYER, order("pending_approval"), Action.APPROVE, False),
        (REP, order("pending_approval"), Action.APPROVE, False),
        (BUYER, order("awaiting_customer"), Action.ACCEPT, True),
        (BUYER, order("awaiting_customer", acceptance_reasons=({"code": "policy"},)), Action.ACCEPT, False),
        (BUYER, order("awaiting_customer", acceptance_reasons=({"code": "policy"},)), Action.DECLINE, True),
        (HQ_APPROVER, order("awaiting_customer", acceptance_reasons=({"code": "policy"},)), Action.ACCEPT, True),
        (REP, order("submitted"), Action.PROPOSE, True),
        (REP, order("confirmed"), Action.SHIP, False),
        (DESK, order("confirmed"), Action.SHIP, True),
        (REP, order("draft", "staff", "rep"), Action.SEND, True),
        (BUYER, order("draft", "staff", "rep"), Action.ACCEPT, False),
        (ADMIN, order("submitted"), Action.ACCEPT, False),  # the customer's word, never the supplier's
        (COLLEAGUE, order("submitted"), Action.CANCEL, False),
        (BUYER, order("submitted"), Action.CANCEL, True),
        (DESK, order("submitted", credit_hold=True), Action.RELEASE_CREDIT_HOLD, True),
        (REP, order("submitted", credit_hold=True), Action.RELEASE_CREDIT_HOLD, True),
        (FINANCE, order("submitted", credit_hold=True), Action.RELEASE_CREDIT_HOLD, False),  # fulfils, never reviews
        (APPROVER, order("submitted", credit_hold=True), Action.RELEASE_CREDIT_HOLD, False),
    ],
)
def test_who_may_act(who: Person, o: OrderView, act: Action, expected: bool) -> None:
    assert may(who, o, act) is expected


def test_an_order_waiting_for_approval_waits_on_its_approvers_and_their_delegates() -> None:
    o = order("pending_approval", approval_reasons=({"code": "over_limit", "limit": "100.00"},))
    w = waiting_on(o, [BUYER, APPROVER, HQ_APPROVER, DELEGATE, COLLEAGUE])
    assert w.kind == Waiting.APPROVAL
    assert [r.code for r in w.reasons] == ["over_limit"] and w.reasons[0].amounts == {"limit": "100.00"}
    assert [p.user_id for p in w.people] == ["approver", "hq-approver", "delegate"]


def test_nobody_approves_their_own_order() -> None:
    o = order("pending_approval", created_by="approver")
    deciding = who_may([APPROVER, HQ_APPROVER], o, Action.APPROVE, besides="approver")
    assert [p.user_id for p in deciding] == ["hq-approver"]


def test_a_proposal_waits_on_the_buyers_unless_only_an_approver_may_accept_it() -> None:
    plain = order("awaiting_customer")
    assert waiting_on(plain, [BUYER, APPROVER]).kind == Waiting.CUSTOMER
    assert {p.user_id for p in waiting_on(plain, [BUYER, APPROVER]).people} == {"buyer", "approver"}
    guarded = order("awaiting_customer", acceptance_reasons=({"code": "policy"},))
    w = waiting_on(guarded, [BUYER, APPROVER])
    assert (w.kind, [p.user_id for p in w.people]) == (Waiting.APPROVAL, ["approver"])


def test_a_submitted_order_waits_on_the_supplier_and_a_draft_on_nobody() -> None:
    assert waiting_on(order("submitted"), [], [REP]).people == (REP,)
    assert waiting_on(order("draft"), [BUYER]).kind is None


def test_a_proposal_only_approvers_may_accept_reaches_them_with_links() -> None:
    assert audience("proposal_sent", order("awaiting_customer")) == (Audience.SUBMITTER,)
    guarded = order("awaiting_customer", acceptance_reasons=({"code": "policy"},))
    assert audience("proposal_sent", guarded) == (Audience.ACCEPTORS, Audience.SUBMITTER)


def test_an_order_on_credit_hold_waits_on_the_supplier_for_that_reason() -> None:
    w = waiting_on(order("submitted", credit_hold=True), [], [REP])
    assert (w.kind, [r.code for r in w.reasons], w.people) == (Waiting.SUPPLIER, ["credit_hold"], (REP,))
