"""Order documents (API.md "Order documents"): declare a file and get a presigned S3 POST for it, list an
order's documents, download one through a presigned GET, delete one. Registered in app.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Ctx, endpoint, json_response, no_content
from chalicelib.api.schemas.documents import DocumentCreated, DocumentList, DocumentOut, DocumentRequest, UploadOut
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import Permission as P

if TYPE_CHECKING:
    from chalicelib.domain.orders import Attachment
    from chalicelib.services.orders import OrderService

bp = Blueprint(__name__)
TAGS = ("orders",)
PATH = "/orders/{order_id}/documents"


def svc() -> OrderService:
    return get_services().orders


def document_out(a: Attachment) -> DocumentOut:
    return DocumentOut.model_validate(a, from_attributes=True)


@endpoint(
    bp,
    PATH,
    "POST",
    caller="action",
    summary="Attach a document: answers it (pending) and a presigned S3 POST that accepts exactly its file",
    request_model=DocumentRequest,
    response_model=DocumentCreated,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_PLACE, P.ORDERS_REVIEW, P.ORDERS_FULFIL),
)
def attach(ctx: Ctx, order_id: str) -> Response:
    a, upload = svc().attach(ctx.principal, order_id, ctx.body(DocumentRequest).model_dump())
    body = DocumentCreated(
        document=document_out(a),
        upload=UploadOut(
            url=upload.url, fields={k: str(v) for k, v in upload.fields.items()}, expires_at=upload.expires_at
        ),
    )
    return json_response(body, status=201)


@endpoint(bp, PATH, "GET", summary="The order's documents", response_model=DocumentList, tags=TAGS)
def list_documents(ctx: Ctx, order_id: str) -> Response:
    items = [document_out(a) for a in svc().documents(ctx.principal, order_id)]
    return json_response(DocumentList(items=items))


@endpoint(
    bp,
    PATH + "/{document_id}/download",
    "GET",
    summary="Download a document: 302 to a presigned link valid 5 minutes; 409 while its file has not arrived",
    status=302,
    tags=TAGS,
    errors=(409,),
)
def download(ctx: Ctx, order_id: str, document_id: str) -> Response:
    url = svc().download_url(ctx.principal, order_id, document_id)
    # The link is a bearer credential for 5 minutes: no cache may keep it.
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@endpoint(
    bp,
    PATH + "/{document_id}",
    "DELETE",
    caller="action",
    summary="Delete a document (its uploader, or staff with orders.review)",
    status=204,
    tags=TAGS,
    permissions=(P.ORDERS_PLACE, P.ORDERS_REVIEW, P.ORDERS_FULFIL),
)
def delete(ctx: Ctx, order_id: str, document_id: str) -> Response:
    svc().delete_document(ctx.principal, order_id, document_id)
    return no_content()
