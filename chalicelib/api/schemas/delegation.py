"""`/me/delegation` bodies."""

from datetime import date

from chalicelib.api.schemas.common import Day, Id, RequestModel, ResponseModel


class DelegationIn(RequestModel):
    delegate_id: Id
    starts_on: Day
    ends_on: Day


class DelegationOut(ResponseModel):
    delegate_id: str
    starts_on: date
    ends_on: date
