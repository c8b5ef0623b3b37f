"""The single-table key schema: pure functions, one per key, each saying which access pattern it serves.

Table `ordergate` (name from config): partition key `pk`, sort key `sk`, both strings.
Every partition key starts with ``T#{tenant}``, so a tenant can only ever reach its own items.

Base table
| item                | pk                          | sk                           | serves |
|---------------------|-----------------------------|------------------------------|--------|
| tenant settings     | T#{t}                       | TENANT                       | GetItem settings; tenant exists (login) |
| security group      | T#{t}                       | GROUP#{id}                   | GetItem; list groups: Query begins_with GROUP# |
| site                | T#{t}                       | SITE#{id}                    | GetItem; list sites: Query begins_with SITE# |
| site code guard     | T#{t}                       | UNIQUE#SITECODE#{code}       | site code unique per tenant (conditional put) |
| customer            | T#{t}                       | CUSTOMER#{id}                | GetItem / BatchGet (a customer user's customers); list: Query begins_with CUSTOMER# |
| customer number     | T#{t}                       | UNIQUE#CUSTNUM#{number}      | number unique per tenant; login by customer number → customer id |
| user                | T#{t}                       | USER#{id}                    | GetItem; list staff view: Query begins_with USER# |
| staff login         | T#{t}                       | LOGIN#S#{username}           | staff username unique per tenant; login → user id |
| customer login      | T#{t}                       | LOGIN#C#{customer_id}#{username} | username unique per customer; login → user id; users of one customer: Query begins_with LOGIN#C#{cid}# |
| refresh token       | T#{t}#REFRESH#{sha256}      | REFRESH                      | GetItem on refresh/logout (own partition: write-heavy, never listed) |
| refresh family      | T#{t}#RFAMILY#{family}      | RFAMILY                      | revoke every token of a login at once (reuse detection) |
| login failures      | T#{t}#LOGINFAIL#{user}      | LOGINFAIL                    | throttle: failures of one user in the current window |

GSI1 (`gsi1pk`, `gsi1sk`), projection ALL
| item     | gsi1pk             | gsi1sk           | serves |
|----------|--------------------|------------------|--------|
| customer | T#{t}#REP#{rep_id} | CUSTOMER#{id}    | GET /customers?sales_rep_id= ; a rep's customers (order visibility) |

GSI2 (`gsi2pk`, `gsi2sk`), projection ALL: reserved for orders (status work queues, per customer).
"""

from __future__ import annotations

# Sort-key prefixes, also used for begins_with list queries.
GROUP = "GROUP#"
SITE = "SITE#"
CUSTOMER = "CUSTOMER#"
USER = "USER#"
CUSTOMER_LOGIN = "LOGIN#C#"


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def tenant_settings(tenant: str) -> tuple[str, str]:
    return tenant_pk(tenant), "TENANT"


def group(tenant: str, group_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{GROUP}{group_id}"


def site(tenant: str, site_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{SITE}{site_id}"


def site_code_guard(tenant: str, code: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"UNIQUE#SITECODE#{code.lower()}"


def customer(tenant: str, customer_id: str) -> tuple[str, str]:
    return tenant_pk(tenant), f"{CUSTOMER}{customer_id}"


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


def tenant_of(pk: str) -> str:
    """The tenant slug of any partition key (stream records carry only keys and images)."""
    return pk.removeprefix("T#").split("#", 1)[0]
