"""Public routes: health and the OpenAPI document."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api import openapi
from chalicelib.api.http import Ctx, endpoint, json_response
from chalicelib.api.schemas.auth import HealthResponse

bp = Blueprint(__name__)


@endpoint(bp, "/health", "GET", summary="Liveness check", public=True, response_model=HealthResponse, tags=("system",))
def health(ctx: Ctx) -> Response:
    return json_response({"status": "ok"})


@endpoint(bp, "/openapi.json", "GET", summary="This API's OpenAPI document", public=True, tags=("system",))
def openapi_document(ctx: Ctx) -> Response:
    return json_response(openapi.document())
