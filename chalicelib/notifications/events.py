"""Who is told what: the notification table of PRODUCT.md is the one authority's (domain/authority.py
`AUDIENCE`: event → roles); this module resolves each role to people and addresses, and sends an e-mail
that asks its reader to act (approve, accept) only to people the policy lets take that action.

Everywhere: inactive users receive nothing, the person who acted never receives their own
notification, and each address is told once per event.

"The submitter" is the customer side of the order. For an order the supplier created (source
`staff`), the submitter on record is the staff member who sent it, so the customer users holding
`orders.place` for the order's customer stand in for them, once the order has reached the customer
(sent or confirmed; a staff draft is invisible to customers, so nobody there hears of it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain import authority
from chalicelib.domain.authority import Act, OrderView, Person
from chalicelib.domain.clock import utcnow
from chalicelib.domain.model import TenantSettings, User
from chalicelib.domain.orders import OrderStatus
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.logs import logger
from chalicelib.notifications.changes import Event, EventName, NewUser, OrderFacts
from chalicelib.notifications.directory import Directory
from chalicelib.notifications.sender import OutgoingEmail

if TYPE_CHECKING:
    from chalicelib.rendering.render import Mail
    from chalicelib.rendering.words import Words

E = EventName


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None  # None: a shared mailbox (the order desk)
    locale: str | None  # the reader's own; None: the tenant's default
    user_id: str | None = None
    on_behalf_of: str | None = None  # a delegate told in an approver's stead: that approver
    approves: bool = False  # gets personal Approve/Reject links (an approver or their delegate)


Resolver = Callable[[Event, Directory], list[Recipient]]


class LinkIssuer(Protocol):
    """Issues an approver's one-time link (services/action_links.py `LinkIssuer`, handed in by bootstrap)."""

    def issue(
        self,
        tenant: str,
        order_id: str,
        approver_id: str,
        order_version: int,
        *,
        hours: int,
        on_behalf_of: str | None,
        locale: str | None,
        kind: str,
    ) -> str: ...


class PasswordLinkIssuer(Protocol):
    """Issues an invitation's or a reset's one-time link (services/password_links.py, handed in by bootstrap)."""

    def issue(self, tenant: str, user_id: str, username: str, purpose: str, locale: str | None) -> str: ...


@dataclass(frozen=True)
class Links:
    """Where the approval e-mails' links come from, and the API's public address they point at (else the
    tenant's portal, which serves the same paths)."""

    issuer: LinkIssuer
    public_api_url: str | None
    passwords: PasswordLinkIssuer | None = None  # the invitation and reset e-mails' links


# --- audiences ------------------------------------------------------------------------------------
def person(user: User | None) -> list[Recipient]:
    if user is None or not user.active:
        return []
    return [Recipient(user.email, user.name, user.locale, user.id)]


def the_new_user(event: Event, d: Directory) -> list[Recipient]:
    u = event.user
    if u is None or not u.active:
        return []
    return [Recipient(u.email, u.name, u.locale, u.id)]


def approvers(event: Event, d: Directory) -> list[Recipient]:
    """Whom the policy lets decide the order (approve it, or accept a proposal only an approver may accept):
    the active customer users holding orders.approve for the order's customer or an ancestor, not its
    submitter, and the delegate of each whose delegation covers today (API.md: the delegate receives the
    approval e-mails; the approver still gets theirs, to read on return). Each gets personal links."""
    o = _order(event)
    v = view_of(event)
    act = Act.APPROVE if v.status == OrderStatus.PENDING_APPROVAL else Act.ACCEPT
    holders = d.users_with(o.tenant, o.customer_path, Permission.ORDERS_APPROVE)
    members = [_as_person(u, Permission.ORDERS_APPROVE) for u in holders]
    deciding = {m.user_id for m in authority.who_may(members, v, act, besides=o.submitted_by)}
    allowed = [u for u in holders if u.id in deciding]
    out = [dataclasses.replace(r, approves=True) for u in allowed for r in person(u)]
    today = utcnow().date()
    for approver_id, delegation in d.delegations(o.tenant, [u.id for u in allowed if u.active]).items():
        if delegation.active_on(today) and delegation.delegate_id != o.submitted_by:
            for r in person(d.user(o.tenant, delegation.delegate_id)):
                out.append(dataclasses.replace(r, on_behalf_of=approver_id, approves=True))
    return out


def _as_person(u: User, holding: Permission) -> Person:
    """A member as the policy sees them: `holding` is what they were found by (the records hold no more)."""
    return Person(u.id, u.kind.value, frozenset({holding.value}), tuple(u.customer_ids), u.name)


def view_of(event: Event) -> OrderView:
    """The order as its event left it, as the policy reads it."""
    o = _order(event)
    data = event.details or {}
    return OrderView(
        status=o.status,
        source=o.source,
        customer_id=o.customer_id,
        customer_path=o.customer_path,
        created_by=o.created_by,
        submitted_by=o.submitted_by,
        rep_ids=frozenset({o.sales_rep_id} if o.sales_rep_id else ()),
        acceptance_reasons=tuple(data.get("acceptance_reasons") or ()),
        approval_reasons=tuple(data.get("reasons") or ()),
    )


def approvers_and_the_supplier(event: Event, d: Directory) -> list[Recipient]:
    """An escalation: the approvers (the customer's and its parents'), and the sales rep, else the order desk."""
    return approvers(event, d) + sales_rep_or_order_desk(event, d)


def submitter(event: Event, d: Directory) -> list[Recipient]:
    """The customer side of the order (see the module docstring for staff-created orders)."""
    o = _order(event)
    if o.source != "staff":
        return person(d.user(o.tenant, o.submitted_by or o.created_by))
    reached_customer = o.submitted_by is not None or o.status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
    if not reached_customer:
        return []
    return [r for u in d.users_with(o.tenant, (o.customer_id,), Permission.ORDERS_PLACE) for r in person(u)]


def sales_rep_or_order_desk(event: Event, d: Directory) -> list[Recipient]:
    """The order's sales rep (else the customer's current one) if active, else the order desk."""
    o = _order(event)
    rep_id = o.sales_rep_id
    if not rep_id:
        customer = d.customer(o.tenant, o.customer_id)
        rep_id = customer.sales_rep_id if customer else None
    rep = person(d.user(o.tenant, rep_id))
    if rep:
        return rep
    settings = d.settings(o.tenant)
    desk = settings.order_desk_email if settings else None
    return [Recipient(desk, None, None)] if desk else []


def the_other_side(event: Event, d: Directory) -> list[Recipient]:
    """A customer user acted: the supplier side hears of it; staff acted: the customer side. An
    order cancelled before it ever reached the supplier (a draft, or while awaiting approval) stays
    inside the customer's organisation: the submitter hears of it. When the actor cannot be told
    apart (unknown user), both sides are told rather than nobody."""
    kind = event.actor_kind
    if kind is None:
        actor = d.user(event.tenant, event.actor_id)
        kind = actor.kind.value if actor else None
    if kind == UserKind.CUSTOMER:
        return sales_rep_or_order_desk(event, d) if reached_supplier(event) else submitter(event, d)
    if kind == UserKind.STAFF:
        return submitter(event, d)
    return submitter(event, d) + sales_rep_or_order_desk(event, d)


def reached_supplier(event: Event) -> bool:
    """Whether the supplier has seen the order: created it, or it was submitted (a customer's order
    never returns to draft or approval once submitted)."""
    o = _order(event)
    return o.source == "staff" or event.from_status not in (OrderStatus.DRAFT, OrderStatus.PENDING_APPROVAL)


# How each role of the policy's notification table (domain/authority.py AUDIENCE) is found.
RESOLVE: dict[authority.Audience, Resolver] = {
    authority.Audience.NEW_USER: the_new_user,
    authority.Audience.APPROVERS: approvers,
    authority.Audience.ACCEPTORS: approvers,
    authority.Audience.SUBMITTER: submitter,
    authority.Audience.SUPPLIER: sales_rep_or_order_desk,
    authority.Audience.OTHER_SIDE: the_other_side,
    authority.Audience.ESCALATION: approvers_and_the_supplier,
}


def recipients(event: Event, d: Directory) -> list[Recipient]:
    """The event's audience, without the person who acted, each address once."""
    seen: set[str] = set()
    out: list[Recipient] = []
    roles = authority.audience(event.name.value, view_of(event) if event.order else None)
    for r in (r for role in roles for r in RESOLVE[role](event, d)):
        address = r.email.strip().lower()
        if not address or address in seen or (event.actor_id and r.user_id == event.actor_id):
            continue
        seen.add(address)
        out.append(r)
    return out


# --- the e-mails ----------------------------------------------------------------------------------
def emails_for(event: Event, d: Directory, links: Links, platform_sender: str) -> list[OutgoingEmail]:
    settings = d.settings(event.tenant)
    if settings is None:
        logger.warning("no tenant settings: nothing sent", extra={"tenant": event.tenant, "event": event.key})
        return []
    sender = sender_address(settings, platform_sender)
    return [compose(event, r, settings, d, links, sender) for r in recipients(event, d)]


def compose(
    event: Event, r: Recipient, settings: TenantSettings, d: Directory, links: Links, sender: str
) -> OutgoingEmail:
    from chalicelib.rendering import render
    from chalicelib.rendering.words import pick, words

    w = words(pick(r.locale, settings.default_locale))
    portal = (settings.portal_url or "").rstrip("/") or None
    o = event.order
    covered = d.user(event.tenant, r.on_behalf_of) if r.on_behalf_of else None
    mail = render.Mail(
        values={"recipient": r.name, "supplier": settings.name, **_order_values(event, w, settings, d)}
        | _user_values(event, settings, d),
        note=_trimmed_text(event, w) if event.name == E.APPROVED else event.note,
        # Only a portal the tenant named is linked (API.md "Tenant administration"): a guess would lead to an error.
        order_link=f"{portal}/orders/{o.id}" if portal and o is not None else None,
        portal_link=f"{portal}/login" if portal and event.user is not None else None,
        # A shipment: what the parcel carries and what is still to ship.
        parcel=_quantities((event.details or {}).get("parcel"), w),
        remaining=_quantities((event.details or {}).get("remaining"), w),
        # A delegate's e-mail names the approver they stand in for.
        covered=covered.name if covered else None,
    )
    template = event.name.value
    if event.name in (E.APPROVAL_NEEDED, E.APPROVAL_REMINDER, E.APPROVAL_ESCALATED):
        mail = _approval_mail(event, r, w, settings, mail, links)
    if event.name == E.PROPOSAL_SENT and view_of(event).acceptance_reasons:
        # Only an approver may accept it: they decide from their e-mail, the buyers are told it waits for them.
        template = (E.PROPOSAL_APPROVAL if r.approves else E.PROPOSAL_WAITING).value
        if r.approves:
            mail = _approval_mail(event, r, w, settings, mail, links, kind="proposal")
    if event.name in (E.INVITATION, E.PASSWORD_RESET) and event.user is not None:
        mail = dataclasses.replace(mail, password_link=_password_link(event, w, links))
    rendered = render.email(template, w, mail)
    return OutgoingEmail(
        sender=sender,
        sender_name=settings.name,
        to=r.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        dedupe_key=event.key,
        event=event.name.value,
        order_id=event.order.id if event.order else None,
    )


def sender_address(settings: TenantSettings, platform_sender: str) -> str:
    """The tenant's own sender (always at a domain it proved, API.md), else the platform's (config
    `platform_sender`, handed down by bootstrap): the tenant's name goes beside either as the display name."""
    return settings.sender_email or platform_sender


def _order_values(event: Event, w: Words, settings: TenantSettings, d: Directory) -> dict[str, str | None]:
    o = event.order
    if o is None:
        return {}
    doc = event.document or {}
    return {
        "number": o.number,
        "customer": o.customer_name,
        "reference": o.customer_reference,
        "status": w.status(o.status),
        "total": w.money(o.gross, o.currency),
        # A proposal: what the order would become, beside what was agreed.
        "proposed_total": w.money(o.proposed_gross, o.currency) if o.proposed_gross is not None else None,
        "actor": _actor_name(event, o, settings, d),
        "document": doc.get("number"),
        "file": doc.get("filename"),
        "amount": w.money(doc.get("amount"), o.currency) if doc.get("amount") is not None else None,
        "due_date": w.date(doc.get("due_date")),
        "carrier": doc.get("carrier"),
        "tracking": doc.get("tracking_number"),
    }


def _quantities(lines: list[dict[str, str]] | None, w: Words) -> list[str]:
    """Shipped or still-to-ship lines, one a line: "SKU-1 Thing: 2"."""
    return [f"{line.get('sku')} {line.get('name')}: {w.number(line.get('quantity'))}" for line in lines or []]


def _approval_mail(
    event: Event,
    r: Recipient,
    w: Words,
    settings: TenantSettings,
    mail: Mail,
    links: Links,
    kind: str = "approval",
) -> Mail:
    """What the approval e-mail shows besides the order's facts: its lines (the first 25, then how many
    more), net and tax, why approval is needed, and the recipient's own one-time Approve and Reject links
    (API.md "Acting from an e-mail"), issued now for this approver and the order version of the event."""
    o = _order(event)
    data = event.details or {}
    lines = list(data.get("lines") or [])
    more = int(data.get("line_count") or len(lines)) - len(lines)
    approve_link = reject_link = None
    if r.approves and r.user_id and data.get("version") is not None:
        token = links.issuer.issue(
            o.tenant,
            o.id,
            r.user_id,
            int(data["version"]),
            hours=settings.approval_link_hours,
            on_behalf_of=r.on_behalf_of,
            locale=w.code,
            kind=kind,
        )
        base = links.public_api_url or ""
        approve_link = f"{base}/actions/{token}"
        reject_link = f"{base}/actions/{token}#reject"
    return dataclasses.replace(
        mail,
        lines=[
            f"{line.get('sku')} {line.get('name')}: {w.number(line.get('quantity'))} x "
            f"{w.money(line.get('unit_price'), o.currency)} = {w.money(line.get('net'), o.currency)}"
            for line in lines
        ],
        lines_more=w.say(w.data["lines_more"], count=more) if more > 0 else None,
        net=w.money(o.net, o.currency),
        tax=w.money(o.tax, o.currency),
        reasons=[
            w.reason(reason, o.currency)
            for reason in data.get("acceptance_reasons" if kind == "proposal" else "reasons") or []
        ],
        approve_link=approve_link,
        reject_link=reject_link,
        proposal=kind == "proposal",
    )


def _password_link(event: Event, w: Words, links: Links) -> str:
    """The invitation's or reset's one-time link, issued now (only its hash is stored), in the e-mail's language."""
    if links.passwords is None:
        raise ValueError("No password-link issuer was handed to the notifications.")
    u = _user(event)
    purpose = "invitation" if event.name == E.INVITATION else "reset"
    token = links.passwords.issue(event.tenant, u.id, u.username, purpose, w.code)
    return f"{links.public_api_url or ''}/password-reset/{token}"


def _user(event: Event) -> NewUser:
    if event.user is None:
        raise ValueError(f"The event {event.name} carries no user.")
    return event.user


def _trimmed_text(event: Event, w: Words) -> str:
    """What the approver changed before approving (the `order.approved` event's `trimmed`)."""
    out = []
    for t in (event.details or {}).get("trimmed") or []:
        if t.get("removed"):
            out.append(w.say(w.data["line_removed"], sku=t.get("sku"), name=t.get("name")))
        else:
            out.append(
                w.say(w.data["line_trimmed"], sku=t.get("sku"), name=t.get("name"), was=t.get("from"), now=t.get("to"))
            )
    return "\n".join(out)


def _actor_name(event: Event, o: OrderFacts, settings: TenantSettings, d: Directory) -> str | None:
    actor = d.user(event.tenant, event.actor_id)
    if actor is not None:
        return actor.name
    return {UserKind.STAFF.value: settings.name, UserKind.CUSTOMER.value: o.customer_name}.get(event.actor_kind or "")


def _user_values(event: Event, settings: TenantSettings, d: Directory) -> dict[str, str | None]:
    u = event.user
    if u is None:
        return {}
    return {
        "company_code": settings.slug,
        "username": u.username,
        "customer_numbers": ", ".join(d.customer_numbers(event.tenant, u.customer_ids)),
    }


def _order(event: Event) -> OrderFacts:
    if event.order is None:
        raise ValueError(f"The event {event.name} carries no order.")
    return event.order
