"""The single-table key schema: pure functions, one per key, each saying which access pattern it serves.

Table `ordergate` (name from config): partition key `pk`, sort key `sk`, both strings.
Every partition key starts with ``T#{tenant}``, so a tenant can only ever reach its own items.

Base table
| item                | pk                          | sk                           | serves |
|---------------------|-----------------------------|------------------------------|--------|
| tenant settings     | T#{t}                       | TENANT                       | GetItem settings; tenant exists (login) |
| security group      | T#{t}                       | GROUP#{id}                   | GetItem; list groups: Query begins_with GROUP# |
| security group index | T#{t}                      | SGROUPS                      | every group's kind and permissions, written in each group write's transaction: a login or refresh derives a token's permissions from it, read with what it reads anyway |
| site                | T#{t}                       | SITE#{id}                    | GetItem; list sites: Query begins_with SITE# |
| site code guard     | T#{t}                       | UNIQUE#SITECODE#{code}       | site code unique per tenant (conditional put) |
| customer            | T#{t}                       | CUSTOMER#{id}                | GetItem / BatchGet (a customer user's customers); list: Query begins_with CUSTOMER# |
| customer members    | T#{t}                       | MEMBERS#{customer_id}        | submit's "does anyone else approve?": the customer's active users and their security group ids ({user_id: [group ids]}), read in the action's one BatchGet for every customer of the order's path, with the security group index (storage/members.py). Created with the customer; each user write SETs or REMOVEs its own key in the same transaction; a customer written before it existed has none until a user write builds it |
| customer number     | T#{t}                       | UNIQUE#CUSTNUM#{number}      | number unique per tenant; login by customer number → customer id |
| user                | T#{t}                       | USER#{id}                    | GetItem; list staff view: Query begins_with USER# |
| staff login         | T#{t}                       | LOGIN#S#{username}           | staff username unique per tenant; login → the user, whose login fields it holds (rewritten with every write of the user) |
| customer login      | T#{t}                       | LOGIN#C#{customer_id}#{username} | username unique per customer; login → the user (its login fields, as above); users of one customer: Query begins_with LOGIN#C#{cid}# |
| refresh token       | T#{t}#REFRESH#{sha256}      | REFRESH                      | GetItem on refresh/logout (own partition: write-heavy, never listed) |
| refresh family      | T#{t}#RFAMILY#{family}      | RFAMILY                      | revoke every token of a login at once (reuse detection) |
| login attempts      | T#{t}#LOGINFAIL#{key}       | LOGINFAIL                    | throttle: the attempts of one user (`user#{id}`), or of a login that reaches nobody (a hash of what it names), in the current window; each attempt claims a slot with a conditional write before its password is checked |
| sender domain       | T#{t}                       | SENDERDOMAIN#{domain}        | GetItem (PATCH /settings' sender_email, GET/DELETE /sender-domains/{domain}); list: Query begins_with SENDERDOMAIN# |
| sender domain owner | SENDERDOMAIN#{domain}       | OWNER                        | the one item outside a tenant: a domain sends for one tenant only (conditional put in the tenant's item's transaction; `owner_id` is the tenant) |
| notification sent   | T#{t}#NOTIFIED#{sha256}     | NOTIFIED                     | exactly once per (event, recipient): conditional put before sending, 7 days (TTL) |
| product group       | T#{t}                       | PGROUP#{id}                  | GetItem / BatchGet (visibility of a page of products); list: Query begins_with PGROUP# |
| group name guard    | T#{t}                       | UNIQUE#PGROUPNAME#{name}     | group name unique per tenant (CSV refers to groups by name) |
| group index         | T#{t}                       | PGROUPS                      | every product group's name, portal flag and version in one item, written in each group's transaction: a catalog read gets the groups of products it has not read yet in the same BatchGet (search, PATCH /products) |
| price list          | T#{t}                       | PRICELIST#{id}               | GetItem; list: Query begins_with PRICELIST# |
| product             | T#{t}#PRODUCTS              | P#{id}                       | GetItem / BatchGet; GET /products (no filter): Query begins_with P#, one page per response; export: every page |
| sku guard           | T#{t}#PSKU                  | {sku}                        | sku unique per tenant (conditional put in the product's transaction); import: sku → product id (BatchGet); GET /products?sku= : Query begins_with {prefix}, in sku order |
| barcode guard       | T#{t}#PBARCODE              | {barcode}                    | each barcode unique per tenant; GET /products?barcode= : GetItem, exact |
| search term         | T#{t}#PTERM#{c}             | {term}#{product_id}          | GET /products?q= : Query begins_with {prefix} in the partition of the prefix's first character `c`. One item per distinct word of the name and one for the sku (per word, not per prefix: a product costs ~5 items, not ~40); results grow with matches, never with the catalog |
| price list entry    | T#{t}#PL#{list_id}          | P#{product_id}               | pricing: BatchGet of a page of products; GET /price-lists/{id}: Query the partition |
| price list header copy | T#{t}#PL#{list_id}       | LIST                         | the header again, written in the same transaction as the one in T#{t}: GET and PUT /price-lists/{id} get header and entries from one Query of the partition (entry reads use begins_with P#, which leaves it out) |
| list prices of a product | T#{t}#LISTPRICES       | P#{product_id}               | the product's entry in every price list ({list_id: rule}), written in the transaction of each list write (a copy of the entries by product): a catalog page gets a customer's list prices in the BatchGet that reads the customer, before its price_list_id is known. Created with the product |
| customer price      | T#{t}#CPRICE#{customer_id}  | P#{product_id}               | pricing: BatchGet of a page of products; GET /customers/{id}/prices: Query the partition |
| catalog lease       | T#{t}#CATALOGLEASE          | LEASE                        | CSV import holds it; every single product write checks it in its transaction (see storage/products.py) |

GSI1 (`gsi1pk`, `gsi1sk`), projection ALL
| item     | gsi1pk             | gsi1sk           | serves |
|----------|--------------------|------------------|--------|
| customer | T#{t}#REP#{rep_id} | CUSTOMER#{id}    | GET /customers?sales_rep_id= ; a rep's customers (order visibility) |
| product  | T#{t}#PGROUP#{gid} | {sku}            | GET /products?group_id= : Query, in sku order |

GSI2, GSI3, GSI4: order lists, see the orders section below.
"""

from __future__ import annotations

# Sort-key prefixes, also used for begins_with list queries.
GROUP = "GROUP#"
SITE = "SITE#"
CUSTOMER = "CUSTOMER#"
USER = "USER#"
CUSTOMER_LOGIN = "LOGIN#C#"
CUSTOMER_MEMBERS = "MEMBERS#"
PRODUCT_GROUP = "PGROUP#"
PRICE_LIST = "PRICELIST#"
PRODUCT = "P#"
PRICE_ENTRY = "P#"
SENDER_DOMAIN = "SENDERDOMAIN#"


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def tenant_settings(tenant: str) -> tuple[str, str]:
    return tenant_pk(tenant), "TENANT"


def group(tenant: str, group_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{GROUP}{group_id}"


def security_group_index(tenant: str) -> tuple[str, str]:
    """Every security group's kind and permissions in one item (see the base table)."""
    return tenant_pk(tenant), "SGROUPS"


def site(tenant: str, site_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{SITE}{site_id}"


def site_code_guard(tenant: str, code: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"UNIQUE#SITECODE#{code.lower()}"


def customer(tenant: str, customer_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{CUSTOMER}{customer_id}"


def customer_members(tenant: str, customer_id: str) -> tuple[str, str]:
    """Who belongs to a customer, with which security groups (see the base table)."""
    return tenant_pk(tenant), f"{CUSTOMER_MEMBERS}{customer_id}"


def customer_number_guard(tenant: str, number: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"UNIQUE#CUSTNUM#{number.lower()}"


def customers_of_rep(tenant: str, rep_id: str) -> str:
    """GSI1 partition: the customers assigned to one sales rep."""
    return f"{tenant_pk(tenant)}#REP#{rep_id}"


def user(tenant: str, user_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{USER}{user_id}"


def staff_login(tenant: str, username: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"LOGIN#S#{username.lower()}"


def customer_login(tenant: str, customer_id: str, username: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{customer_login_prefix(customer_id)}{username.lower()}"


def customer_login_prefix(customer_id: str) -> str:
    return f"{CUSTOMER_LOGIN}{customer_id}#"


def refresh_token(tenant: str, token_hash: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#REFRESH#{token_hash}", "REFRESH"


def refresh_family(tenant: str, family_id: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#RFAMILY#{family_id}", "RFAMILY"


def login_failures(tenant: str, user_id: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#LOGINFAIL#{user_id}", "LOGINFAIL"


def sender_domain(tenant: str, domain: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{SENDER_DOMAIN}{domain}"


def sender_domain_owner(domain: str) -> tuple[str, str]:
    """Outside every tenant on purpose: SES identities are the account's, so one domain, one tenant."""
    return f"{SENDER_DOMAIN}{domain}", "OWNER"


def tenant_of(pk: str) -> str:
    """The tenant slug of any partition key (stream records carry only keys and images)."""
    return pk.removeprefix("T#").split("#", 1)[0]


# --- orders ---------------------------------------------------------------------------------------
# Base table, one partition per order (GetItem-free: one Query on the partition loads the aggregate)
# | item          | pk                          | sk               | serves |
# | order header  | T#{t}#ORDER#{id}            | ORDER            | the aggregate root; conditional on version |
# | line page     | T#{t}#ORDER#{id}            | LINES#{nnn}      | 100 lines each: ≤ 10 items for a 1,000-line order |
# | history entry | T#{t}#ORDER#{id}            | HIST#{nnnnnn}    | every action, in order |
# | revision      | T#{t}#ORDER#{id}            | REV#{nnnn}       | every proposal, kept |
# | document      | T#{t}#ORDER#{id}            | DOC#{id}         | shipments, invoices, payments |
# | file          | T#{t}#ORDER#{id}            | FILE#{id}        | files on the order (API.md "Order documents"): loaded with the order's Query, so listing them and checking who sees the order is one round trip; a pending one carries a TTL |
# | message       | T#{t}#ORDER#{id}#MSG        | MSG#{id}         | the order's conversation, oldest first |
# | order counter | T#{t}                       | COUNTER#ORDER    | human-readable order numbers: read with what a create reads, set in its transaction on the value read |
# | budget        | T#{t}#BUDGET#{customer}     | {YYYY-MM}        | monthly budget used, counted atomically |
# | approval entry| T#{t}#APPROVALS#{customer}  | {created_at}#{id}| orders waiting for the approvers of this customer or of a parent: one per customer on the order's path, written and removed with the status change (an approver's list is one Query, however many orders wait elsewhere) |
# Order header GSIs (sort key `{created_at}#{id}`: newest first, created_from/created_to as BETWEEN)
# | index | partition                          | serves |
# | gsi1  | T#{t}#ORDERS#STATUS#{status}       | staff work queues: ?status= with orders.read_all |
# | gsi2  | T#{t}#ORDERS#CUSTOMER#{customer}   | one customer's orders: customer users, ?customer_id= |
# | gsi3  | T#{t}#ORDERS                       | every order of the tenant (orders.read_all, no filter) |
# | gsi4  | T#{t}#ORDERS#REP#{rep}             | orders of a sales rep's customers (no orders.read_all) |
# | gsi5  | T#{t}#ORDERS#ORG#{top customer}    | a customer organisation's orders, every branch: customer users' lists (the policy, domain/authority.py, keeps what the caller sees) |
# | gsi6  | T#{t}#ORDERS#BY#{staff user}       | the orders a staff member created (staff-created orders only): a sales rep's list, whatever the customer |
ORDER_HEADER = "ORDER"
ORDER_LINES = "LINES#"
ORDER_HISTORY = "HIST#"
ORDER_REVISION = "REV#"
ORDER_DOCUMENT = "DOC#"
ORDER_FILE = "FILE#"
MESSAGE = "MSG#"


def order_pk(tenant: str, order_id: str) -> str:
    return f"{tenant_pk(tenant)}#ORDER#{order_id}"


def order_lines(page: int) -> str:
    return f"{ORDER_LINES}{page:03d}"


def order_history(seq: int) -> str:
    return f"{ORDER_HISTORY}{seq:06d}"


def order_revision(number: int) -> str:
    return f"{ORDER_REVISION}{number:04d}"


def order_document(doc_id: str) -> str:
    return f"{ORDER_DOCUMENT}{doc_id}"


def order_file(file_id: str) -> str:
    return f"{ORDER_FILE}{file_id}"


def order_messages_pk(tenant: str, order_id: str) -> str:
    return f"{order_pk(tenant, order_id)}#MSG"


def order_counter(tenant: str) -> tuple[str, str]:
    return tenant_pk(tenant), "COUNTER#ORDER"


def budget(tenant: str, customer_id: str, month: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#BUDGET#{customer_id}", month


def approvals(tenant: str, customer_id: str) -> str:
    """The orders waiting for approval that the approvers of this customer may act on."""
    return f"{tenant_pk(tenant)}#APPROVALS#{customer_id}"


def orders_by_status(tenant: str, status: str) -> str:
    return f"{tenant_pk(tenant)}#ORDERS#STATUS#{status}"


def orders_of_customer(tenant: str, customer_id: str) -> str:
    return f"{tenant_pk(tenant)}#ORDERS#CUSTOMER#{customer_id}"


def orders_of_tenant(tenant: str) -> str:
    return f"{tenant_pk(tenant)}#ORDERS"


def orders_of_org(tenant: str, top_customer_id: str) -> str:
    """GSI5 partition: the orders of a top customer and every customer below it."""
    return f"{tenant_pk(tenant)}#ORDERS#ORG#{top_customer_id}"


def orders_created_by(tenant: str, user_id: str) -> str:
    """GSI6 partition: the orders a staff member created."""
    return f"{tenant_pk(tenant)}#ORDERS#BY#{user_id}"


def orders_of_rep(tenant: str, rep_id: str) -> str:
    return f"{tenant_pk(tenant)}#ORDERS#REP#{rep_id}"


def order_list_sk(created_at: str, order_id: str) -> str:
    return f"{created_at}#{order_id}"


# | order event   | T#{t}#EVENTS                   | {event id}  | what happened to orders, written in each action's transaction:
# |               |                                |             | the stream's e-mails; the tenant's events in time order (the event
# |               |                                |             | feed): one Query from the cursor, whatever days lie between, so a
# |               |                                |             | page is empty only when nothing follows. 30 days (TTL) |
def order_events_pk(tenant: str) -> str:
    """The partition of a tenant's order events. One partition, not one per day: a reader from an old
    cursor reaches the next event in one Query however many quiet days lie between (a day partition
    made a first sync 30 calls of empty pages). Its writes are the tenant's order actions, far below
    a partition's 1,000 writes per second."""
    return f"{tenant_pk(tenant)}#EVENTS"


# | order notice  | T#{t}#NOTICES#{YYYY-MM-DD}     | {event id}  | an order event for e-mails only (reminders, escalations): the stream's
# |               |                                |             | e-mails, never the feed; written in the action's transaction. 30 days (TTL) |
def order_notices_pk(tenant: str, day: str) -> str:
    return f"{tenant_pk(tenant)}#NOTICES#{day}"


# | ledger entry  | T#{t}#LEDGER#{customer}        | INV#{date}#{order id}#{invoice id} | one invoice of the customer as its order's last
# |               |                                |             | money action left it (paid, outstanding): GET /customers/{id}/statement is
# |               |                                |             | one Query of INV#, newest first. Rewritten in the transaction of each
# |               |                                |             | invoice, credit note and payment that changes it (a copy of the order's
# |               |                                |             | invoice: the order's version condition keeps them in step) |
# | ledger summary| T#{t}#LEDGER#{customer}        | SUMMARY     | what the customer owes (invoiced, paid, outstanding, outstanding by due
# |               |                                |             | date): rewritten in each money action's transaction, conditional on its
# |               |                                |             | version; read in a submit's BatchGet (credit limit) and the statement's |
LEDGER_ENTRY = "INV#"
LEDGER_SUMMARY = "SUMMARY"


def ledger_pk(tenant: str, customer_id: str) -> str:
    return f"{tenant_pk(tenant)}#LEDGER#{customer_id}"


def ledger_entry(tenant: str, customer_id: str, day: str, order_id: str, invoice_id: str) -> tuple[str, str]:
    return ledger_pk(tenant, customer_id), f"{LEDGER_ENTRY}{day}#{order_id}#{invoice_id}"


def ledger_summary(tenant: str, customer_id: str) -> tuple[str, str]:
    return ledger_pk(tenant, customer_id), LEDGER_SUMMARY


# | idempotency   | T#{t}#IDEM#{sha256(user, key)} | IDEM        | Idempotency-Key of a POST: its first response, 24 h |
def idempotency(tenant: str, key_hash: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#IDEM#{key_hash}", "IDEM"


# | approval due  | T#{t}#ORDER#{id}               | APPROVALDUE | when an order waiting for approval is next reminded or escalated,
# |               |                                |             | written in the order's transaction (moved by each reminder, removed
# |               |                                |             | by the decision). GSI1: gsi1pk APPROVALS#DUE, gsi1sk {due_at}#{t}#{id}:
# |               |                                |             | the scheduled function Queries what is due by now, for every tenant at
# |               |                                |             | once (the one index partition not under T#{t}: only the scheduler reads
# |               |                                |             | it, and a tenant's items are still reached through their own keys) |
APPROVALS_DUE = "APPROVALS#DUE"
APPROVAL_DUE = "APPROVALDUE"


def approval_due_sk(due_at: str, tenant: str, order_id: str) -> str:
    return f"{due_at}#{tenant}#{order_id}"


# | delegation    | T#{t}                          | DELEGATION#{user} | an approver's delegate for a period: GetItem (GET /me/delegation,
# |               |                                |             | a link used on their behalf); BatchGet with the approvers of an e-mail |
def delegation(tenant: str, user_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"DELEGATION#{user_id}"


# | delegations to| T#{t}                          | DELEGATIONS_TO#{user} | the approvers whose delegation names this user (approver → period and
# |               |                                |             | the approver's customers), written in each delegation's transaction:
# |               |                                |             | a delegate's GET /orders reads it in the BatchGet of their customers,
# |               |                                |             | and lists what waits on the approvers in force today |
def delegations_to(tenant: str, delegate_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"DELEGATIONS_TO#{delegate_id}"


# | order e-mail  | T#{t}#ORDER#{id}#MAIL          | MAIL#{claim}| each e-mail about the order (event, recipient, status: sent, delivered,
# |               |                                |             | bounced, complained, suppressed, failed): GET /orders/{id}/notifications
# |               |                                |             | Queries the partition; an SES event finds its item by the tags the send
# |               |                                |             | carried (tenant, order, claim = the (event, recipient) key) |
# | suppressed    | T#{t}#SUPPRESSED               | {address}   | an address that bounced hard or complained: GetItem before each send |
def order_mails_pk(tenant: str, order_id: str) -> str:
    return f"{order_pk(tenant, order_id)}#MAIL"


def order_mail(tenant: str, order_id: str, claim: str) -> tuple[str, str]:
    return order_mails_pk(tenant, order_id), f"MAIL#{claim}"


def suppressed_address(tenant: str, address: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#SUPPRESSED", address.strip().lower()


# | action link   | T#{t}#ACTION#{sha256(token)}   | ACTION      | an approver's one-time link from an e-mail (API.md "Acting from an
# |               |                                |             | e-mail"): GetItem by the hash of the token the link carries (the token
# |               |                                |             | starts with the tenant, so no key lies outside T#{t}); used once through
# |               |                                |             | a conditional update; TTL after it expires |
def action_link(tenant: str, token_hash: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#ACTION#{token_hash}", "ACTION"


# | password link | T#{t}#PWLINK#{sha256(token)}   | PWLINK      | an invitation's or a password reset's one-time link (API.md
# |               |                                |             | "Authentication and the caller"): as an action link |
def password_link(tenant: str, token_hash: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#PWLINK#{token_hash}", "PWLINK"


# | reset request | T#{t}#PWRESET#{user_id}        | H#{hour}    | the password resets asked for a user in one UTC hour (a counter, and
# |               | T#{t}#PWRESET#@{sha256(email)} | H#{hour}    | the stream's cue to e-mail the link), and those asked for one address:
# |               |                                |             | conditional ADDs in one transaction throttle both; TTL |
def password_reset_user(tenant: str, user_id: str, hour: int) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#PWRESET#{user_id}", f"H#{hour}"


def password_reset_address(tenant: str, address_hash: str, hour: int) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#PWRESET#@{address_hash}", f"H#{hour}"


def notification_sent(tenant: str, key_hash: str) -> tuple[str, str]:
    """One e-mail (event, recipient) claimed before it is sent (see the base table above). A partition
    of its own: written twice at most, never listed; the stream handler ignores these items."""
    return f"{tenant_pk(tenant)}#NOTIFIED#{key_hash}", "NOTIFIED"


# --- catalog and prices -----------------------------------------------------------------------
# Products and their index items live outside T#{t}: the catalog is the tenant's largest, most
# written data, and keeping it apart leaves the admin partition small and cold.
def product_group(tenant: str, group_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{PRODUCT_GROUP}{group_id}"


def product_group_index(tenant: str) -> tuple[str, str]:
    """Every product group of the tenant in one item (not matched by begins_with PGROUP#)."""
    return tenant_pk(tenant), "PGROUPS"


def product_group_name_guard(tenant: str, name: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"UNIQUE#PGROUPNAME#{name.strip().lower()}"


def products_pk(tenant: str) -> str:
    return f"{tenant_pk(tenant)}#PRODUCTS"


def product(tenant: str, product_id: str) -> tuple[str, str]:
    return products_pk(tenant), f"{PRODUCT}{product_id}"


def products_of_group(tenant: str, group_id: str) -> str:
    """GSI1 partition: the products of one group (gsi1sk: the product's sku key)."""
    return f"{tenant_pk(tenant)}#PGROUP#{group_id}"


def sku_key(sku: str) -> str:
    return sku.lower()


def sku_guards_pk(tenant: str) -> str:
    return f"{tenant_pk(tenant)}#PSKU"


def sku_guard(tenant: str, sku: str) -> tuple[str, str]:
    return sku_guards_pk(tenant), sku_key(sku)


def barcode_guard(tenant: str, barcode: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#PBARCODE", barcode.lower()


def search_terms_pk(tenant: str, prefix: str) -> str:
    """The term partition of everything starting with `prefix`'s first character (prefix non-empty)."""
    return f"{tenant_pk(tenant)}#PTERM#{prefix[0]}"


def search_term(tenant: str, term: str, product_id: str) -> tuple[str, str]:
    return search_terms_pk(tenant, term), f"{term}#{product_id}"


def price_list(tenant: str, list_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{PRICE_LIST}{list_id}"


def price_list_entries_pk(tenant: str, list_id: str) -> str:
    return f"{tenant_pk(tenant)}#PL#{list_id}"


def price_list_entry(tenant: str, list_id: str, product_id: str) -> tuple[str, str]:
    return price_list_entries_pk(tenant, list_id), f"{PRICE_ENTRY}{product_id}"


def price_list_copy(tenant: str, list_id: str) -> tuple[str, str]:
    """The copy of a price list's header in its entries' partition (sorts apart from P#...)."""
    return price_list_entries_pk(tenant, list_id), "LIST"


def list_prices(tenant: str, product_id: str) -> tuple[str, str]:
    """One product's prices in every price list (see the table above)."""
    return f"{tenant_pk(tenant)}#LISTPRICES", f"{PRICE_ENTRY}{product_id}"


def customer_prices_pk(tenant: str, customer_id: str) -> str:
    return f"{tenant_pk(tenant)}#CPRICE#{customer_id}"


def customer_price(tenant: str, customer_id: str, product_id: str) -> tuple[str, str]:
    return customer_prices_pk(tenant, customer_id), f"{PRICE_ENTRY}{product_id}"


def catalog_lease(tenant: str) -> tuple[str, str]:
    return f"{tenant_pk(tenant)}#CATALOGLEASE", "LEASE"


# --- machine clients (issue 15) -------------------------------------------------------------------
# | item            | pk                         | sk            | serves |
# | api key         | T#{t}#APIKEYS              | {key id}      | GetItem when a request presents the key (the tenant and id are in the key); GET /api-keys: Query the partition |
def api_keys_pk(tenant: str) -> str:
    return f"{tenant_pk(tenant)}#APIKEYS"


def api_key(tenant: str, key_id: str) -> tuple[str, str]:
    return api_keys_pk(tenant), key_id


# | supplier ref    | T#{t}#SUPREF#{casefolded ref}  | {created_at}#{order id} | GET /orders?supplier_reference= : Query the partition.
# |                 |                                |                         | What a list shows of the order (a copy), rewritten in every transaction of an order
# |                 |                                |                         | that has a reference and removed with the reference, so it is never stale |
def supplier_reference(tenant: str, reference: str) -> str:
    return f"{tenant_pk(tenant)}#SUPREF#{reference.casefold()}"


# --- webhooks (issue 15) --------------------------------------------------------------------------------
# | item              | pk                              | sk                     | serves |
# | webhook endpoint  | T#{t}#WEBHOOKS                  | {endpoint id}          | GET /webhook-endpoints, and the stream's fan-out: Query the partition; GetItem/BatchGet by id |
# | webhook delivery  | T#{t}#WHDELIV#{endpoint id}     | {event id}-{endpoint id} | GET .../deliveries: Query, newest first; the delivery function: BatchGet with its endpoint. The id is made of the event's and the endpoint's, so a redelivered stream record creates nothing twice |
# GSI1 on a delivery waiting longer than SQS can delay (15 min):
# | webhook delivery  | gsi1pk WHDUE#{YYYY-MM-DD}       | gsi1sk {next_attempt_at}#{tenant}#{endpoint}#{delivery} | the scheduled function: Query the days due (today, yesterday) up to now; removed when queued |
def webhooks_pk(tenant: str) -> str:
    return f"{tenant_pk(tenant)}#WEBHOOKS"


def webhook_endpoint(tenant: str, endpoint_id: str) -> tuple[str, str]:
    return webhooks_pk(tenant), endpoint_id


def webhook_deliveries_pk(tenant: str, endpoint_id: str) -> str:
    return f"{tenant_pk(tenant)}#WHDELIV#{endpoint_id}"


def webhook_delivery(tenant: str, endpoint_id: str, delivery_id: str) -> tuple[str, str]:
    return webhook_deliveries_pk(tenant, endpoint_id), delivery_id


def webhooks_due(day: str) -> str:
    """GSI1 partition of the deliveries due on one UTC day (every tenant: the scheduler is the platform's)."""
    return f"WHDUE#{day}"
