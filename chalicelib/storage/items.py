"""PynamoDB item models of the single table: one base with a discriminator (`type`) and a version.

These classes never leave `storage/`: repositories map them to domain dataclasses. The stream
handler decodes images with `BaseItem.from_raw_data`, so it reads exactly what the API writes.
Table name, endpoint and region come from `bootstrap.configure_storage` (PynamoDB reads `Meta`
lazily per connection; see PITFALLS.md).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class Gsi1(GlobalSecondaryIndex["BaseItem"]):
    """Secondary access patterns of admin entities (see keys.py, GSI1 table)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["BaseItem"]):
    """Order work queues and per-customer order lists (see keys.py, GSI2 table)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex["BaseItem"]):
    """Every order of a tenant, newest first (staff with orders.read_all)."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex["BaseItem"]):
    """Orders of a sales rep's customers, newest first."""

    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex["BaseItem"]):
    """Orders of a customer organisation (its top customer and every branch below), newest first."""

    class Meta:
        index_name = "gsi5"
        projection = AllProjection()

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class Gsi6(GlobalSecondaryIndex["BaseItem"]):
    """Orders a staff member created, whatever the customer, newest first."""

    class Meta:
        index_name = "gsi6"
        projection = AllProjection()

    gsi6pk = UnicodeAttribute(hash_key=True)
    gsi6sk = UnicodeAttribute(range_key=True)


class BaseItem(Model):
    class Meta:
        table_name = "ordergate"
        region = "us-east-1"
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    gsi6pk = UnicodeAttribute(null=True)
    gsi6sk = UnicodeAttribute(null=True)
    # TTL: DynamoDB deletes expired refresh tokens, throttling windows and idempotency records.
    expires_at = TTLAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()
    gsi6 = Gsi6()


class TenantItem(BaseItem, discriminator="tenant"):
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    default_locale = UnicodeAttribute()
    portal_url = UnicodeAttribute(null=True)
    sender_email = UnicodeAttribute(null=True)
    order_desk_email = UnicodeAttribute(null=True)
    order_number_prefix = UnicodeAttribute()
    delivery_methods = JSONAttribute(default=list)
    payment_methods = JSONAttribute(default=list)
    # Hours; 0 stores "never" (a missing attribute reads back as the default, so None cannot be stored).
    approval_link_hours = NumberAttribute(default=72)
    approval_reminder_hours = NumberAttribute(default=24)
    approval_escalation_hours = NumberAttribute(default=72)
    created_at = UnicodeAttribute()


class SecurityGroupItem(BaseItem, discriminator="security_group"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    permissions = UnicodeSetAttribute(default=set)
    builtin = BooleanAttribute(default=False)


class SecurityGroupIndexItem(BaseItem, discriminator="security_group_index"):
    """Every security group of a tenant: {id: {"kind", "permissions"}}, rewritten (conditional on its own
    version) in the transaction of each group write, so it never disagrees with the groups: a login or a
    refresh gets the permissions of any user's groups with what it reads anyway."""

    groups = JSONAttribute(default=dict)


class SiteItem(BaseItem, discriminator="site"):
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute(null=True)


class CustomerItem(BaseItem, discriminator="customer"):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    name = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    sales_rep_id = UnicodeAttribute(null=True)
    price_list_id = UnicodeAttribute(null=True)
    payment_terms = NumberAttribute(null=True)  # days
    approval_policy = UnicodeAttribute()
    monthly_budget = UnicodeAttribute(null=True)  # decimal string: money is never a float
    credit_limit = UnicodeAttribute(null=True)  # decimal string
    status = UnicodeAttribute()
    addresses = JSONAttribute(default=list)
    # Denormalised: the parents above this customer, nearest first, as of its last write (None on
    # items written before). Verified with ConditionChecks wherever it is used (customers.path_checks).
    ancestor_ids = JSONAttribute(null=True)


class CustomerMembersItem(BaseItem, discriminator="customer_members"):
    """A customer's active users: {user_id: [security group ids]} (keys.customer_members). A DynamoDB map,
    so each user write SETs or REMOVEs its own key with an UpdateItem (conditional on the map existing):
    concurrent writes of different users never lose each other, and nobody reads the others first."""

    members: MapAttribute[str, Any] = MapAttribute(default=dict)


class UserItem(BaseItem, discriminator="user"):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    username = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    locale = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    security_group_ids = JSONAttribute(default=list)
    customer_ids = JSONAttribute(default=list)
    site_ids = JSONAttribute(default=list)
    approval_limit = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()
    # Which generation of sessions is valid (services/auth.py): absent on items written before, read as 0.
    session_epoch = NumberAttribute(null=True)


class UniqueItem(BaseItem, discriminator="unique"):
    """A guard that makes a value unique (username, customer number, site code) and points to its owner.
    A login guard also holds what logging in needs of its user (`login`, storage/users.py), rewritten in
    the transaction of every write of the user: a login reads the user with the guard."""

    owner_id = UnicodeAttribute()
    login = JSONAttribute(null=True)


class RefreshTokenItem(BaseItem, discriminator="refresh_token"):
    user_id = UnicodeAttribute()
    family_id = UnicodeAttribute()
    used = BooleanAttribute(default=False)


class RefreshFamilyItem(BaseItem, discriminator="refresh_family"):
    user_id = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    # The user's `session_epoch` when this login began (absent: 0); a refresh needs it to still match.
    session_epoch = NumberAttribute(null=True)


class LoginFailuresItem(BaseItem, discriminator="login_failures"):
    failures = NumberAttribute(default=0)
    window_start = NumberAttribute()


class SenderDomainItem(BaseItem, discriminator="sender_domain"):
    """A domain a tenant started to prove in SES (its status is SES's, asked when shown)."""

    domain = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class CounterItem(BaseItem, discriminator="counter"):
    """A per-tenant sequence (order numbers), advanced with an atomic ADD."""

    value = NumberAttribute(default=0)


class OrderItem(BaseItem, discriminator="order"):
    """The order header: status, parties, addresses, totals. Lines, history, proposals and documents
    are items of their own in the same partition (an order holds up to 1,000 lines)."""

    id = UnicodeAttribute()
    number = UnicodeAttribute()
    status = UnicodeAttribute()
    invoice_status = UnicodeAttribute()
    payment_status = UnicodeAttribute()
    source = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    sales_rep_id = UnicodeAttribute(null=True)
    customer_path = UnicodeSetAttribute(default=set)  # the customer and its ancestors (approver lists)
    site_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    submitted_by = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    header = JSONAttribute(default=dict)  # reference, dates, addresses, methods, notes
    totals = JSONAttribute(default=dict)  # net/tax/gross as decimal strings, for lists and e-mails
    line_count = NumberAttribute(default=0)
    page_count = NumberAttribute(default=0)
    proposal = JSONAttribute(null=True)
    revision_count = NumberAttribute(default=0)
    history_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class OrderLinesItem(BaseItem, discriminator="order_lines"):
    """Up to 100 lines of an order, so any action rewrites at most 10 of these in one transaction."""

    lines = JSONAttribute(default=list)


class OrderHistoryItem(BaseItem, discriminator="order_history"):
    entry = JSONAttribute()


class OrderRevisionItem(BaseItem, discriminator="order_revision"):
    revision = JSONAttribute()


class OrderDocumentItem(BaseItem, discriminator="order_document"):
    document = JSONAttribute()


class OrderFileItem(BaseItem, discriminator="order_file"):
    """A file on the order (domain.orders.Attachment as JSON). While pending it carries `expires_at`
    (TTL), so an upload that never arrives is forgotten."""

    file = JSONAttribute()


class OrderEventItem(BaseItem, discriminator="order_event"):
    """Something that happened to an order (domain.orders.OrderEvent), written in the transaction of the
    action that did it and never changed: the stream turns it into e-mails, the event feed lists it.
    `data` is the order as the event left it plus the action's details; `order` the facts about the
    order that e-mails need (parties, number, path). Kept 30 days (TTL)."""

    id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    order_id = UnicodeAttribute()
    order_number = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    actor = JSONAttribute()  # {"id", "kind"}
    data = JSONAttribute()
    order = JSONAttribute()


class OrderMessageItem(BaseItem, discriminator="order_message"):
    id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_kind = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)  # the author's display name when they posted it
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ApprovalEntryItem(BaseItem, discriminator="approval_entry"):
    """An order waiting for approval, in the list of one customer on its path: what the list shows of
    it (an order cannot change while it waits, so the copy stays true until the entry is removed)."""

    order_id = UnicodeAttribute()
    summary = JSONAttribute()


class BudgetItem(BaseItem, discriminator="budget"):
    """What a customer's orders committed in one month, counted atomically at submit."""

    spent_cents = NumberAttribute(default=0)  # integer cents: DynamoDB adds them exactly


class LedgerEntryItem(BaseItem, discriminator="ledger_entry"):
    """One invoice on its customer's statement (keys.ledger_entry); amounts are decimal strings."""

    entry = JSONAttribute()


class LedgerSummaryItem(BaseItem, discriminator="ledger_summary"):
    """What a customer owes (keys.ledger_summary); amounts are decimal strings, `due` by due date."""

    invoiced = UnicodeAttribute()
    paid = UnicodeAttribute()
    outstanding = UnicodeAttribute()
    due = JSONAttribute(default=dict)


class IdempotencyItem(BaseItem, discriminator="idempotency"):
    """The first response to a POST with an Idempotency-Key, kept 24 h (TTL): its bytes, or for a key
    claimed in an order's write the order it left, which the route presents again. The stream handler
    ignores these items: they never describe a business change."""

    fingerprint = UnicodeAttribute()
    state = UnicodeAttribute()  # in_progress | done
    status_code = NumberAttribute(null=True)
    response = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON
    result = BinaryAttribute(null=True, legacy_encoding=False)  # storage/order_codec.py `snapshot`


class NotificationSentItem(BaseItem, discriminator="notification_sent"):
    """One e-mail (event, recipient), claimed before it is sent so a redelivered stream record sends
    nothing twice; kept 7 days (TTL). The stream handler ignores these items."""

    dedupe_key = UnicodeAttribute()
    recipient = UnicodeAttribute()
    state = UnicodeAttribute()  # sending | sent
    claimed_at = NumberAttribute()  # epoch seconds: a "sending" claim older than the lease is taken over
    message_id = UnicodeAttribute(null=True)


class OrderMailItem(BaseItem, discriminator="order_mail"):
    """One e-mail about an order and what became of it (keys.order_mail)."""

    order_id = UnicodeAttribute()
    event = UnicodeAttribute()  # the e-mail's event (approval_needed, submitted, ...)
    recipient = UnicodeAttribute()
    status = UnicodeAttribute()  # sent | delivered | bounced | complained | suppressed | failed
    at = UnicodeAttribute()  # when it reached this status
    message_id = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)  # the mail service's word on a bounce or a failure


class SuppressedAddressItem(BaseItem, discriminator="suppressed_address"):
    """An address that bounced hard or complained: sends to it are skipped (keys.suppressed_address)."""

    address = UnicodeAttribute()
    reason = UnicodeAttribute()  # bounce | complaint
    at = UnicodeAttribute()


class ApprovalDueItem(BaseItem, discriminator="approval_due"):
    """When an order waiting for approval is next reminded (keys.py "approval due"); indexed in GSI1."""

    tenant = UnicodeAttribute()
    order_id = UnicodeAttribute()
    due_at = UnicodeAttribute()


class DelegationItem(BaseItem, discriminator="delegation"):
    """An approver's delegate for a period (keys.delegation)."""

    delegator_id = UnicodeAttribute()
    delegate_id = UnicodeAttribute()
    delegate_name = UnicodeAttribute(null=True)
    starts_on = UnicodeAttribute()  # YYYY-MM-DD
    ends_on = UnicodeAttribute()


class DelegationsToItem(BaseItem, discriminator="delegations_to"):
    """The approvers whose delegation names one delegate (keys.delegations_to), written in the transaction
    of each delegation put and delete: approver id → {"starts_on", "ends_on", "customer_ids"}."""

    delegate_id = UnicodeAttribute()
    approvers = JSONAttribute()


class ActionLinkItem(BaseItem, discriminator="action_link"):
    """An approver's one-time link (keys.action_link): only the token's hash is stored, as the key. Bound to
    the order version the e-mail was about; `used_*` set once, by a conditional update in the transaction of
    the decision taken through it (storage/orders.py `save`)."""

    kind = UnicodeAttribute()  # approval
    order_id = UnicodeAttribute()
    approver_id = UnicodeAttribute()  # the user the e-mail went to (a delegate: the delegate)
    on_behalf_of = UnicodeAttribute(null=True)  # the approver a delegate stands in for
    locale = UnicodeAttribute(null=True)  # the e-mail's language, which the page speaks too
    order_version = NumberAttribute()
    created_at = UnicodeAttribute()
    valid_until = UnicodeAttribute()  # ISO 8601; the TTL attribute deletes the item some time after
    used_at = UnicodeAttribute(null=True)
    used_by = UnicodeAttribute(null=True)
    used_by_name = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)  # approve | reject


class PasswordLinkItem(BaseItem, discriminator="password_link"):
    """An invitation's or a password reset's one-time link (keys.password_link): only the token's hash is
    stored, as the key; `used_at` set once, in the transaction that sets the password (storage/users.py)."""

    purpose = UnicodeAttribute()  # invitation | reset
    user_id = UnicodeAttribute()
    username = UnicodeAttribute()  # shown on the page: whose password is being chosen
    locale = UnicodeAttribute(null=True)  # the e-mail's language, which the page speaks too
    created_at = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    used_at = UnicodeAttribute(null=True)


class PasswordResetItem(BaseItem, discriminator="password_reset"):
    """Password resets asked in one hour (keys.password_reset_user: for a user, holding what its e-mail
    needs; keys.password_reset_address: for an e-mail address, a bare counter). Each request adds 1 to
    `asked`; the stream e-mails a link for each count a user's item reaches."""

    asked = NumberAttribute(default=0)  # requests in this hour
    user_id = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)


class ProductGroupItem(BaseItem, discriminator="product_group"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    portal = BooleanAttribute(default=False)


class ProductGroupIndexItem(BaseItem, discriminator="product_group_index"):
    """Every product group of a tenant: {id: {"name", "portal", "version"}}, rewritten (conditional on
    its own version) in the transaction of each group write, so it never disagrees with the groups."""

    groups = JSONAttribute(default=dict)


class ProductItem(BaseItem, discriminator="product"):
    """Decimals (money, quantities, stock) are stored as decimal strings: never a float."""

    id = UnicodeAttribute()
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    barcodes = JSONAttribute(default=list)
    group_id = UnicodeAttribute(null=True)
    unit = UnicodeAttribute()
    min_quantity = UnicodeAttribute()
    order_multiple = UnicodeAttribute()
    base_price = UnicodeAttribute()
    base_tiers = JSONAttribute(default=list)  # [{"min_quantity": "10", "price": "9.50"}]
    tax_rate = UnicodeAttribute()
    portal = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    stock = JSONAttribute(default=dict)  # {site_id: "12"}


class SearchTermItem(BaseItem, discriminator="product_term"):
    """One word (or the sku) of one product, in the term partition of its first character."""

    product_id = UnicodeAttribute()


class PriceListItem(BaseItem, discriminator="price_list"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()


class ListPricesItem(BaseItem, discriminator="list_prices"):
    """One product's entries in every price list: {list_id: JSON {"price", "tiers"}} (a DynamoDB map, so a
    list write sets or removes its own key with an UpdateItem, without reading the others)."""

    lists: MapAttribute[str, str] = MapAttribute(default=dict)


class PriceEntryItem(BaseItem, discriminator="price_entry"):
    """A product's price (and tiers) in one price list, or for one customer (by partition)."""

    product_id = UnicodeAttribute()
    price = UnicodeAttribute()
    tiers = JSONAttribute(default=list)


class CatalogLeaseItem(BaseItem, discriminator="catalog_lease"):
    """Held by a running CSV import; `lease_until` (epoch seconds) lets a crashed import's lease lapse."""

    owner_id = UnicodeAttribute()
    lease_until = NumberAttribute()


class ApiKeyItem(BaseItem, discriminator="api_key"):
    """A machine client's key (issue 15): only the SHA-256 of the key is kept; the key is shown once."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    permissions = JSONAttribute(default=list)
    prefix = UnicodeAttribute()
    key_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)


class SupplierRefItem(BaseItem, discriminator="supplier_ref"):
    """An order in the list of its supplier's reference (keys.py): what the list shows of it, written
    in each of the order's transactions while it has that reference."""

    order_id = UnicodeAttribute()
    summary = JSONAttribute()


class WebhookEndpointItem(BaseItem, discriminator="webhook_endpoint"):
    """Where a tenant's events are posted (issue 15). `secrets`: [{"secret", "expires_at"}], the newest
    first; an older one keeps signing for 24 h after a rotation. `failing_since`: the first failure not
    followed by a success (3 days of it disable the endpoint)."""

    id = UnicodeAttribute()
    url = UnicodeAttribute()
    event_types = JSONAttribute(default=list)
    description = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    disabled_reason = UnicodeAttribute(null=True)
    secrets = JSONAttribute(default=list)
    failing_since = UnicodeAttribute(null=True)


class WebhookDeliveryItem(BaseItem, discriminator="webhook_delivery"):
    """One event for one endpoint: its body (the Event JSON, the same on every attempt) and its state.
    While a retry is due later than SQS can delay (15 min) it is in gsi1 under the day it is due."""

    id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    body = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | succeeded | failed
    attempts = NumberAttribute(default=0)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


def item_classes() -> list[type[BaseItem]]:
    """Every registered item model (used by table creation checks and tests)."""
    out: list[type[BaseItem]] = []
    stack: list[Any] = [BaseItem]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            stack.append(sub)
    return out
