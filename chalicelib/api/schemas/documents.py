"""Request and response bodies of order documents (API.md "Order documents")."""

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from chalicelib.api.schemas.common import Id, Line, RequestModel, ResponseModel, StrictFlag
from chalicelib.domain.attachments import MAX_ATTACHMENT_SIZE


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# Shown to people and offered on download: one line, nothing that reorders it ("invoice\u202efdp.exe"
# shows as "invoiceexe.pdf"). It is never part of an S3 key, so slashes and dots are harmless.
Filename = Annotated[Line, Field(min_length=1, max_length=255), AfterValidator(_not_blank)]
ContentType = Literal[  # domain.attachments ATTACHMENT_TYPES
    "application/pdf", "image/png", "image/jpeg", "text/csv", "application/xml", "text/xml", "text/plain"
]
Kind = Literal["purchase_order", "delivery_note", "invoice", "other"]  # domain.attachments ATTACHMENT_KINDS
Size = Annotated[int, Field(strict=True, ge=1, le=MAX_ATTACHMENT_SIZE)]


class DocumentRequest(RequestModel):
    filename: Filename
    content_type: ContentType
    size: Size
    kind: Kind
    visible_to_customer: StrictFlag = False
    shipment_id: Id | None = None
    invoice_id: Id | None = None

    @model_validator(mode="after")
    def _one_link(self) -> Self:
        if self.shipment_id is not None and self.invoice_id is not None:
            raise ValueError("A document is linked to a shipment or to an invoice, not both.")
        return self


class DocumentOut(ResponseModel):
    id: str
    filename: str
    content_type: str
    size: int
    kind: str
    visible_to_customer: bool
    uploaded_by: str
    uploaded_at: str
    status: Literal["pending", "available"]
    shipment_id: str | None
    invoice_id: str | None


class UploadOut(ResponseModel):
    url: str
    fields: dict[str, str]
    expires_at: str


class DocumentCreated(ResponseModel):
    document: DocumentOut
    upload: UploadOut


class DocumentList(ResponseModel):
    items: list[DocumentOut]
