"""What importing app.py loads: every Lambda function (the API, the stream, webhooks, schedules, SES
events) imports it on a cold start, so it registers the routes and handlers and nothing more. The
benchmark measures the time (bench/README.md "cold_import"); these tests keep the reasons for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imported on first use only: the AWS clients and PynamoDB, JWT, Powertools' utilities, the services and
# storage, the CSV codec, the presenters and the domain models they map, the validation messages.
LAZY = (
    "boto3",
    "botocore",
    "pynamodb",
    "jwt",
    "aws_lambda_powertools.utilities",
    "chalicelib.services.",
    "chalicelib.notifications",
    "chalicelib.rendering",
    "jinja2",
    "babel",
    "chalicelib.webhooks",
    "chalicelib.api.csv_products",
    "chalicelib.api.presenters",
    "chalicelib.api.order_presenters",
    "chalicelib.api.idempotency",
    "chalicelib.api.messages",
    "chalicelib.domain.catalog",
    "chalicelib.domain.model",
    "chalicelib.domain.orders",
    "chalicelib.domain.pricing",
)
ALLOWED = ("chalicelib.storage.paging",)  # its page-size constants (api/http.py); no client


def _import_app() -> dict[str, object]:
    code = """
import json, sys
import app
from pydantic import BaseModel

def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)

built = sorted(f"{m.__module__}.{m.__qualname__}" for m in models(BaseModel) if m.__pydantic_complete__)
print(json.dumps({"modules": sorted(sys.modules), "built": built}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_app_loads_no_client_service_or_presenter() -> None:
    modules = _import_app()["modules"]
    assert isinstance(modules, list)
    loaded = [m for m in modules if m.startswith(LAZY) and m not in ALLOWED]
    assert loaded == []
    assert "chalicelib.api.routes.orders" in modules  # the routes themselves are registered


def test_importing_the_app_builds_no_validator() -> None:
    # Schemas use defer_build (api/schemas/common.py); a TypeAdapter or a model used at import would
    # build pydantic's core schema for every cold start of every function.
    assert _import_app()["built"] == []


def test_schema_modules_let_python_evaluate_their_annotations() -> None:
    # api/schemas/__init__.py: string annotations cost pydantic a parse and an eval per field at import.
    schemas = ROOT / "chalicelib" / "api" / "schemas"
    future = "from __future__ import annotations"
    postponed = [p.name for p in sorted(schemas.glob("*.py")) if future in p.read_text().splitlines()]
    assert postponed == []
