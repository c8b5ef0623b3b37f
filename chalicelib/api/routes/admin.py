"""Tenant administration: settings, security groups, sites, users, customers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import PAGE, Ctx, endpoint, json_response, no_content, patch_changes
from chalicelib.api.openapi import QueryParam
from chalicelib.api.schemas.admin import (
    CustomerCreate,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    CustomerPortalOut,
    GroupCreate,
    GroupList,
    GroupOut,
    GroupReplace,
    SettingsOut,
    SettingsPatch,
    SettingsPortalOut,
    SiteCreate,
    SiteList,
    SiteOut,
    SitePatch,
    UserCreate,
    UserList,
    UserOut,
    UserPatch,
)
from chalicelib.api.schemas.common import Id
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import Permission as P
from chalicelib.lazy import LazyModule

if TYPE_CHECKING:
    from chalicelib.api import presenters
    from chalicelib.services import admin
else:
    admin = LazyModule("chalicelib.services.admin")  # storage and its client: on the first request
    presenters = LazyModule("chalicelib.api.presenters")  # and the domain's models they map

bp = Blueprint(__name__)


# --- settings ---------------------------------------------------------------------------------
@endpoint(
    bp,
    "/settings",
    "GET",
    summary="Tenant settings (customer users: what their portal needs)",
    response_one_of=(SettingsOut, SettingsPortalOut),
    tags=("settings",),
)
def get_settings(ctx: Ctx) -> Response:
    s = admin.get_settings(ctx.principal)
    return json_response(presenters.settings_for(s, ctx.principal), etag=s.version)


@endpoint(
    bp,
    "/settings",
    "PATCH",
    summary="Change tenant settings",
    request_model=SettingsPatch,
    response_model=SettingsOut,
    tags=("settings",),
    if_match=True,
    permissions=(P.TENANT_ADMIN,),
)
def patch_settings(ctx: Ctx) -> Response:
    nullable = frozenset({"sender_email", "order_desk_email", "approval_reminder_hours", "approval_escalation_hours"})
    changes = patch_changes(ctx.body(SettingsPatch), nullable)
    s = admin.update_settings(ctx.principal, changes, ctx.if_match(), get_services().sender_domains)
    return json_response(presenters.settings_out(s), etag=s.version)


# --- security groups --------------------------------------------------------------------------
@endpoint(
    bp,
    "/security-groups",
    "GET",
    summary="List security groups",
    response_model=GroupList,
    tags=("security-groups",),
    query=PAGE,
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def list_groups(ctx: Ctx) -> Response:
    page = admin.list_groups(ctx.principal, *ctx.page_args())
    return json_response(GroupList(items=[presenters.group_out(g) for g in page.items], next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/security-groups",
    "POST",
    caller="action",  # the caller is read with the group and the index (services/admin.py)
    summary="Create a security group",
    request_model=GroupCreate,
    response_model=GroupOut,
    status=201,
    tags=("security-groups",),
    permissions=(P.TENANT_ADMIN,),
)
def create_group(ctx: Ctx) -> Response:
    body = ctx.body(GroupCreate)
    g = admin.create_group(ctx.principal, body.name, body.kind, body.permissions)
    return json_response(presenters.group_out(g), status=201, etag=g.version)


@endpoint(
    bp,
    "/security-groups/{group_id}",
    "GET",
    summary="A security group",
    response_model=GroupOut,
    tags=("security-groups",),
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def get_group(ctx: Ctx, group_id: str) -> Response:
    g = admin.get_group(ctx.principal, group_id)
    return json_response(presenters.group_out(g), etag=g.version)


@endpoint(
    bp,
    "/security-groups/{group_id}",
    "PUT",
    caller="action",  # the caller is read with the group and the index (services/admin.py)
    summary="Replace a security group",
    request_model=GroupReplace,
    response_model=GroupOut,
    tags=("security-groups",),
    if_match=True,
    permissions=(P.TENANT_ADMIN,),
)
def put_group(ctx: Ctx, group_id: str) -> Response:
    body = ctx.body(GroupReplace)
    g = admin.replace_group(ctx.principal, group_id, body.name, body.kind, body.permissions, ctx.if_match())
    return json_response(presenters.group_out(g), etag=g.version)


@endpoint(
    bp,
    "/security-groups/{group_id}",
    "DELETE",
    caller="action",  # the caller is read with the group and the index (services/admin.py)
    summary="Delete a security group",
    status=204,
    tags=("security-groups",),
    if_match=True,
    permissions=(P.TENANT_ADMIN,),
)
def delete_group(ctx: Ctx, group_id: str) -> Response:
    admin.delete_group(ctx.principal, group_id, ctx.if_match())
    return no_content()


# --- sites ------------------------------------------------------------------------------------
@endpoint(bp, "/sites", "GET", summary="List sites", response_model=SiteList, tags=("sites",), query=PAGE)
def list_sites(ctx: Ctx) -> Response:
    page = admin.list_sites(ctx.principal, *ctx.page_args())
    return json_response(SiteList(items=[presenters.site_out(s) for s in page.items], next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/sites",
    "POST",
    summary="Create a site",
    request_model=SiteCreate,
    response_model=SiteOut,
    status=201,
    tags=("sites",),
    permissions=(P.TENANT_ADMIN,),
)
def create_site(ctx: Ctx) -> Response:
    body = ctx.body(SiteCreate)
    s = admin.create_site(ctx.principal, body.code, body.name, body.address)
    return json_response(presenters.site_out(s), status=201, etag=s.version)


@endpoint(bp, "/sites/{site_id}", "GET", summary="A site", response_model=SiteOut, tags=("sites",))
def get_site(ctx: Ctx, site_id: str) -> Response:
    s = admin.get_site(ctx.principal, site_id)
    return json_response(presenters.site_out(s), etag=s.version)


@endpoint(
    bp,
    "/sites/{site_id}",
    "PATCH",
    summary="Change a site",
    request_model=SitePatch,
    response_model=SiteOut,
    tags=("sites",),
    if_match=True,
    permissions=(P.TENANT_ADMIN,),
)
def patch_site(ctx: Ctx, site_id: str) -> Response:
    changes = patch_changes(ctx.body(SitePatch), frozenset({"address"}))
    s = admin.update_site(ctx.principal, site_id, changes, ctx.if_match())
    return json_response(presenters.site_out(s), etag=s.version)


# --- users ------------------------------------------------------------------------------------
USER_NULLABLE = frozenset({"locale", "approval_limit"})


@endpoint(
    bp,
    "/users",
    "GET",
    summary="List users (filter: customer_id)",
    response_model=UserList,
    tags=("users",),
    query=(*PAGE, QueryParam("customer_id", Id, "Only the users of this customer.")),
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def list_users(ctx: Ctx) -> Response:
    limit, cursor = ctx.page_args()
    page = get_services().user_admin.list(ctx.principal, limit, cursor, ctx.query("customer_id"))
    return json_response(UserList(items=[presenters.user_out(u) for u in page.items], next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/users",
    "POST",
    summary="Create a user",
    request_model=UserCreate,
    response_model=UserOut,
    status=201,
    tags=("users",),
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def create_user(ctx: Ctx) -> Response:
    u = get_services().user_admin.create(ctx.principal, ctx.body(UserCreate).model_dump())
    return json_response(presenters.user_out(u), status=201, etag=u.version)


@endpoint(
    bp,
    "/users/{user_id}",
    "GET",
    summary="A user",
    response_model=UserOut,
    tags=("users",),
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def get_user(ctx: Ctx, user_id: str) -> Response:
    u = get_services().user_admin.get(ctx.principal, user_id)
    return json_response(presenters.user_out(u), etag=u.version)


@endpoint(
    bp,
    "/users/{user_id}",
    "PATCH",
    caller="action",  # UserAdmin.update reads the caller with the user (one BatchGet)
    summary="Change a user",
    request_model=UserPatch,
    response_model=UserOut,
    tags=("users",),
    if_match=True,
    permissions=(P.TENANT_ADMIN, P.ORG_MANAGE),
)
def patch_user(ctx: Ctx, user_id: str) -> Response:
    changes = patch_changes(ctx.body(UserPatch), USER_NULLABLE)
    u = get_services().user_admin.update(ctx.principal, user_id, changes, ctx.if_match())
    return json_response(presenters.user_out(u), etag=u.version)


# --- customers --------------------------------------------------------------------------------
CUSTOMER_NULLABLE = frozenset(
    {"parent_id", "sales_rep_id", "price_list_id", "payment_terms", "monthly_budget", "credit_limit"}
)


@endpoint(
    bp,
    "/customers",
    "GET",
    summary="List customers (filter: sales_rep_id)",
    response_model=CustomerList,
    tags=("customers",),
    query=(*PAGE, QueryParam("sales_rep_id", Id, "Only the customers assigned to this sales rep.")),
)
def list_customers(ctx: Ctx) -> Response:
    limit, cursor = ctx.page_args()
    page = admin.list_customers(ctx.principal, limit, cursor, ctx.query("sales_rep_id"))
    items = [presenters.customer_out(c, ctx.principal) for c in page.items]
    return json_response(CustomerList(items=items, next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/customers",
    "POST",
    summary="Create a customer",
    request_model=CustomerCreate,
    response_model=CustomerOut,
    status=201,
    tags=("customers",),
    permissions=(P.CUSTOMERS_MANAGE,),
)
def create_customer(ctx: Ctx) -> Response:
    c = admin.create_customer(ctx.principal, ctx.body(CustomerCreate).model_dump())
    return json_response(presenters.customer_out(c, ctx.principal), status=201, etag=c.version)


# Staff get the whole account, customer users the portal view (API.md): one or the other.
@endpoint(
    bp,
    "/customers/{customer_id}",
    "GET",
    summary="A customer",
    response_one_of=(CustomerOut, CustomerPortalOut),
    tags=("customers",),
)
def get_customer(ctx: Ctx, customer_id: str) -> Response:
    c = admin.get_customer(ctx.principal, customer_id)
    return json_response(presenters.customer_out(c, ctx.principal), etag=c.version)


@endpoint(
    bp,
    "/customers/{customer_id}",
    "PATCH",
    summary="Change a customer",
    request_model=CustomerPatch,
    response_model=CustomerOut,
    tags=("customers",),
    if_match=True,
    permissions=(P.CUSTOMERS_MANAGE,),
)
def patch_customer(ctx: Ctx, customer_id: str) -> Response:
    changes = patch_changes(ctx.body(CustomerPatch), CUSTOMER_NULLABLE)
    c = admin.update_customer(ctx.principal, customer_id, changes, ctx.if_match())
    return json_response(presenters.customer_out(c, ctx.principal), etag=c.version)
