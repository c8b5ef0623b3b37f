"""OrderGate's Chalice app: HTTP routes (in blueprints), the error middleware, the stream handler.

Wiring only. Routes live in chalicelib/api/routes/, use cases in chalicelib/services/.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, DynamoDBEvent, Rate, Request, Response, S3Event, SQSEvent

from chalicelib import config
from chalicelib.api.errors import CODE_BY_STATUS, envelope, method_not_allowed_message
from chalicelib.api.routes import (
    actions,
    admin,
    auth,
    catalog,
    delegation,
    documents,
    machine,
    order_notifications,
    orders,
    password_pages,
    sender_domains,
    statements,
    system,
)
from chalicelib.logs import logger

app = Chalice(app_name="ordergate")
app.log = logger  # type: ignore[assignment]

for blueprint in (
    system.bp,
    auth.bp,
    admin.bp,
    catalog.bp,
    orders.bp,
    documents.bp,
    machine.bp,
    actions.bp,
    password_pages.bp,
    delegation.bp,
    order_notifications.bp,
    sender_domains.bp,
    statements.bp,
):
    app.register_blueprint(blueprint)


@app.middleware("http")
def error_envelope(event: Request, get_response: Any) -> Response:
    """Chalice answers some errors itself (415, 405, ...) as {"Code", "Message"}: give them our envelope."""
    response: Response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body:
        code = CODE_BY_STATUS.get(response.status_code, "error")
        message = str(body.get("Message", ""))
        if response.status_code >= 500:
            code = "internal_error"
        if response.status_code == 405:  # chalice says "Unsupported method: X": name what the path takes
            allow = (response.headers or {}).get("Allow", "")
            message = method_not_allowed_message(event.method, str(allow))
        response.body = envelope(code, message)
        response.headers = {**(response.headers or {}), "Content-Type": "application/json"}
    return response


@app.on_dynamodb_record(stream_arn=config.stream_arn(), batch_size=100)
def on_table_change(event: DynamoDBEvent) -> dict[str, Any]:
    from chalicelib.bootstrap import get_services

    return get_services().handle_stream(event.to_dict())


def documents_arrived(event: dict[str, Any]) -> None:
    """Documents' files arrived (presigned POSTs): each becomes available. The local stack feeds this
    too, when its emulator stores an object (devstack/uploads.py)."""
    from urllib.parse import unquote_plus

    from chalicelib.bootstrap import get_services

    orders = get_services().orders
    for record in event.get("Records") or []:
        # S3 event keys are URL-encoded (a space arrives as "+"); ours hold none, but decode as S3 says.
        orders.document_arrived(unquote_plus(record["s3"]["object"]["key"]))


if config.packaging():
    # `chalice package` refuses S3 events: the packaged template subscribes this function to the bucket
    # it creates (infra/package.py). The event is the same; chalice deploy wires it below.
    @app.lambda_function(name="on_document_uploaded")
    def on_document_uploaded_packaged(event: dict[str, Any], context: Any) -> None:
        documents_arrived(event)

else:

    @app.on_s3_event(bucket=config.documents_bucket(), events=["s3:ObjectCreated:*"], prefix="t/")
    def on_document_uploaded(event: S3Event) -> None:
        documents_arrived(event.to_dict())


# --- webhooks (issue 15): the delivery function and the scheduled one ------------------------------------
@app.on_sqs_message(queue=config.webhook_queue_name(), batch_size=10)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.bootstrap import get_services
    from chalicelib.webhooks.handlers import handle_sqs_batch

    return handle_sqs_batch(event.to_dict(), get_services().webhook_pipeline)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def queue_due_webhooks(event: CloudWatchEvent) -> None:
    from chalicelib.bootstrap import get_services
    from chalicelib.webhooks.handlers import queue_due

    queue_due(get_services().webhook_pipeline)


@app.schedule(Rate(1, unit=Rate.HOURS))
def approval_reminders(event: CloudWatchEvent) -> dict[str, Any]:
    """Reminds approvers of orders that wait, and escalates those waiting too long (API.md). The local
    stack runs the same function every few seconds (ORDERGATE_LOCAL_SCHEDULE_SECONDS)."""
    from chalicelib.bootstrap import get_services

    done = get_services().approval_reminders.run()
    return {"reminded": len(done)}


@app.on_cw_event({"source": ["aws.ses"]})
def on_ses_event(event: CloudWatchEvent) -> dict[str, Any]:
    """SES reports what became of each e-mail (delivered, bounced, complained, rejected) through the
    configuration set's EventBridge destination: the order's e-mail list and the suppressed addresses."""
    from chalicelib.notifications.ses_events import handle

    return {"status": handle(event.detail or {})}
