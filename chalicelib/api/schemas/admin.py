"""Request and response bodies of tenant administration: settings, groups, sites, users, customers."""

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.schemas.common import (
    Code,
    Email,
    Id,
    Line,
    Locale,
    Money,
    Name,
    RequestModel,
    ResponseModel,
    ShortText,
    Text,
)

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Url = Annotated[Text, Field(max_length=500, pattern=r"^https?://[^\s]+$")]
Username = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+\-]+$")]
Password = Annotated[str, Field(min_length=10, max_length=1024)]
IdList = Annotated[list[Id], Field(max_length=50)]


# --- settings ---------------------------------------------------------------------------------
class CodeNameModel(RequestModel):
    code: Code
    name: Name


class SettingsOut(ResponseModel):
    name: str
    currency: str
    default_locale: str
    portal_url: str
    sender_email: str | None
    order_desk_email: str | None
    order_number_prefix: str
    delivery_methods: list[CodeNameModel]
    payment_methods: list[CodeNameModel]
    approval_link_hours: int
    approval_reminder_hours: int | None
    approval_escalation_hours: int | None


class SettingsPortalOut(ResponseModel):
    """What a customer user's portal needs of the supplier's settings: no sender or order-desk
    addresses, no order numbering."""

    name: str
    currency: str
    default_locale: str
    portal_url: str
    delivery_methods: list[CodeNameModel]
    payment_methods: list[CodeNameModel]


Hours = Annotated[int, Field(ge=1, le=24 * 30, strict=True)]
# A customer's payment terms: the days after an invoice's date that it is due (0: on receipt).
TermDays = Annotated[int, Field(ge=0, le=365, strict=True)]


class SettingsPatch(RequestModel):
    name: Name | None = None
    currency: Currency | None = None
    default_locale: Locale | None = None
    portal_url: Url | None = None
    sender_email: Email | None = None
    order_desk_email: Email | None = None
    order_number_prefix: Annotated[str, Field(max_length=20, pattern=r"^[A-Za-z0-9\-_/]*$")] | None = None
    delivery_methods: Annotated[list[CodeNameModel], Field(max_length=50)] | None = None
    payment_methods: Annotated[list[CodeNameModel], Field(max_length=50)] | None = None
    approval_link_hours: Hours | None = None
    approval_reminder_hours: Hours | None = None  # null: never
    approval_escalation_hours: Hours | None = None  # null: never


# --- security groups --------------------------------------------------------------------------
Kind = Literal["staff", "customer"]
PermissionName = Annotated[str, Field(max_length=64)]


class GroupOut(ResponseModel):
    id: str
    name: str
    kind: Kind
    permissions: list[str]
    builtin: bool


class GroupCreate(RequestModel):
    name: Name
    kind: Kind
    permissions: Annotated[list[PermissionName], Field(max_length=20)]


class GroupReplace(RequestModel):
    name: Name
    kind: Kind | None = None
    permissions: Annotated[list[PermissionName], Field(max_length=20)]


class GroupList(ResponseModel):
    items: list[GroupOut]
    next_cursor: str | None


# --- sites ------------------------------------------------------------------------------------
class SiteOut(ResponseModel):
    id: str
    code: str
    name: str
    address: str | None


class SiteCreate(RequestModel):
    code: Code
    name: Name
    address: ShortText | None = None


class SitePatch(RequestModel):
    code: Code | None = None
    name: Name | None = None
    address: ShortText | None = None


class SiteList(ResponseModel):
    items: list[SiteOut]
    next_cursor: str | None


# --- users ------------------------------------------------------------------------------------
class UserOut(ResponseModel):
    id: str
    kind: Kind
    username: str
    name: str
    email: str
    locale: str | None
    status: Literal["active", "inactive"]
    security_group_ids: list[str]
    customer_ids: list[str]
    site_ids: list[str]
    approval_limit: Money | None


class UserCreate(RequestModel):
    kind: Kind
    username: Username
    name: Name
    email: Email
    password: Password
    locale: Locale | None = None
    status: Literal["active", "inactive"] = "active"
    security_group_ids: Annotated[list[Id], Field(min_length=1, max_length=20)]
    customer_ids: IdList = []
    site_ids: IdList = []
    approval_limit: Money | None = None


class UserPatch(RequestModel):
    username: Username | None = None
    name: Name | None = None
    email: Email | None = None
    password: Password | None = None
    locale: Locale | None = None
    status: Literal["active", "inactive"] | None = None
    security_group_ids: Annotated[list[Id], Field(min_length=1, max_length=20)] | None = None
    customer_ids: IdList | None = None
    site_ids: IdList | None = None
    approval_limit: Money | None = None


class UserList(ResponseModel):
    items: list[UserOut]
    next_cursor: str | None


# --- customers --------------------------------------------------------------------------------
class AddressIn(RequestModel):
    id: Id | None = None
    kind: Literal["delivery", "billing"]
    label: ShortText | None = None
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    postal_code: Annotated[Line, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None


class AddressOut(ResponseModel):
    id: str
    kind: str
    label: str | None
    line1: str | None
    line2: str | None
    city: str | None
    postal_code: str | None
    country: str | None


ApprovalPolicy = Literal["none", "always", "over_limit"]
Addresses = Annotated[list[AddressIn], Field(max_length=50)]


class CustomerOut(ResponseModel):
    id: str
    number: str
    name: str
    parent_id: str | None
    sales_rep_id: str | None
    price_list_id: str | None
    payment_terms: int | None
    approval_policy: ApprovalPolicy
    monthly_budget: Money | None
    credit_limit: Money | None
    status: Literal["active", "inactive"]
    addresses: list[AddressOut]


class CustomerPortalOut(ResponseModel):
    """What a customer user sees of their own customer: no price list, rep or approval internals."""

    id: str
    number: str
    name: str
    parent_id: str | None
    payment_terms: int | None
    credit_limit: Money | None
    status: Literal["active", "inactive"]
    addresses: list[AddressOut]


class CustomerCreate(RequestModel):
    number: Code
    name: Name
    parent_id: Id | None = None
    sales_rep_id: Id | None = None
    price_list_id: Id | None = None
    payment_terms: TermDays | None = None
    approval_policy: ApprovalPolicy = "none"
    monthly_budget: Money | None = None
    credit_limit: Money | None = None
    status: Literal["active", "inactive"] = "active"
    addresses: Addresses = []


class CustomerPatch(RequestModel):
    number: Code | None = None
    name: Name | None = None
    parent_id: Id | None = None
    sales_rep_id: Id | None = None
    price_list_id: Id | None = None
    payment_terms: TermDays | None = None
    approval_policy: ApprovalPolicy | None = None
    monthly_budget: Money | None = None
    credit_limit: Money | None = None
    status: Literal["active", "inactive"] | None = None
    addresses: Addresses | None = None


class CustomerList(ResponseModel):
    items: list[CustomerOut | CustomerPortalOut]
    next_cursor: str | None
