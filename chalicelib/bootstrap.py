"""The one place that builds clients and services and wires them together.

Nothing here runs at import time, and each piece is built on first use: a stream invocation never
reads the token signing key, an HTTP request never builds an SES client.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.config import Settings, get_settings

# Services, clients and their libraries are imported when first built, not with app.py: an HTTP
# request never imports the SES sender, the stream handler never imports the token library (jwt
# and its crypto backend alone cost ~100 ms of a cold start).
if TYPE_CHECKING:
    from chalicelib.auth.passwords import Passwords
    from chalicelib.auth.tokens import TokenSigner
    from chalicelib.notifications.sender import EmailSender
    from chalicelib.notifications.service import NotificationService
    from chalicelib.services.action_links import ActionLinks
    from chalicelib.services.admin import UserAdmin
    from chalicelib.services.approval_reminders import ApprovalReminders
    from chalicelib.services.auth import AuthService
    from chalicelib.services.document_files import DocumentFiles
    from chalicelib.services.order_catalog import Catalog
    from chalicelib.services.orders import OrderService
    from chalicelib.services.password_links import PasswordLinks
    from chalicelib.services.sender_domains import SenderDomains
    from chalicelib.services.webhook_endpoints import WebhookEndpoints
    from chalicelib.storage.items import OrderEventItem
    from chalicelib.storage.webhooks import Endpoint
    from chalicelib.webhooks.delivery import Pipeline


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        configure_storage(settings)

    @cached_property
    def passwords(self) -> Passwords:
        from chalicelib.auth.passwords import Passwords

        return Passwords(self.settings.password_hash_profile)

    @cached_property
    def signer(self) -> TokenSigner:
        from chalicelib.auth.tokens import TokenSigner

        return TokenSigner(_signing_key(self.settings), self.settings.access_token_ttl)

    @cached_property
    def auth(self) -> AuthService:
        from chalicelib.services.auth import AuthService

        return AuthService(self.passwords, self.signer, self.settings.refresh_token_ttl)

    @cached_property
    def user_admin(self) -> UserAdmin:
        from chalicelib.services.admin import UserAdmin

        return UserAdmin(self.passwords)

    @cached_property
    def catalog(self) -> Catalog:
        from chalicelib.services.catalog_offers import CatalogOffers

        return CatalogOffers()

    @cached_property
    def orders(self) -> OrderService:
        from chalicelib.services.orders import OrderService
        from chalicelib.storage.orders import DynamoOrderStore

        return OrderService(self.catalog, DynamoOrderStore(), files=self.document_files)

    @cached_property
    def document_files(self) -> DocumentFiles:
        from botocore.config import Config

        from chalicelib.storage.files import S3DocumentFiles

        # SigV4 (presigned POSTs and GETs), and path-style addressing towards the local emulator.
        style = "path" if self.settings.s3_endpoint else "auto"
        client = aws_client(
            "s3",
            self.settings,
            endpoint=self.settings.s3_endpoint,
            config=Config(signature_version="s3v4", s3={"addressing_style": style}),
        )
        return S3DocumentFiles(client, self.settings.documents_bucket)

    @property
    def action_links(self) -> ActionLinks:
        # Not cached: built around whichever order service is installed now (tests swap in a catalog).
        from chalicelib.services.action_links import ActionLinks
        from chalicelib.storage.orders import DynamoOrderStore

        return ActionLinks(self.orders, DynamoOrderStore())

    @property
    def password_links(self) -> PasswordLinks:
        from chalicelib.services.password_links import PasswordLinks

        return PasswordLinks(self.passwords)

    @property
    def approval_reminders(self) -> ApprovalReminders:
        from chalicelib.services.approval_reminders import ApprovalReminders
        from chalicelib.storage.orders import DynamoOrderStore

        return ApprovalReminders(DynamoOrderStore())

    @cached_property
    def sesv2(self) -> Any:
        return aws_client("sesv2", self.settings, endpoint=self.settings.ses_endpoint)

    @cached_property
    def email_sender(self) -> EmailSender:
        from chalicelib.notifications.sender import SesEmailSender

        return SesEmailSender(self.sesv2, configuration_set=self.settings.ses_configuration_set)

    @cached_property
    def sender_domains(self) -> SenderDomains:
        from chalicelib.services.sender_domains import SenderDomains
        from chalicelib.services.sender_identities import SesSenderIdentities

        return SenderDomains(SesSenderIdentities(self.sesv2))

    @property
    def notifications(self) -> NotificationService:
        # Not cached: built around whichever sender is installed now (tests swap in a fake).
        from chalicelib.notifications.events import Links
        from chalicelib.notifications.service import NotificationService
        from chalicelib.services.action_links import LinkIssuer

        return NotificationService(
            self.email_sender,
            Links(LinkIssuer(), self.settings.public_api_url, self.password_links),
            platform_sender=self.settings.platform_sender,
        )

    def handle_stream(self, event: dict[str, Any]) -> dict[str, Any]:
        """A batch of the table's stream (app.py `on_table_change`, the local stack's worker): its e-mails
        and its events' webhooks."""
        from chalicelib.notifications.stream import handle_batch

        return handle_batch(event, self.notifications, self._fan_out)

    def _fan_out(self, item: OrderEventItem) -> None:
        from chalicelib.webhooks.handlers import fan_out

        fan_out(item, self.webhook_pipeline)

    @cached_property
    def webhook_pipeline(self) -> Pipeline | None:
        """The webhooks' delivery pipeline; None on a deployment without the queue
        (ORDERGATE_WEBHOOK_QUEUE_URL), which still sends its e-mails. Tests install one of their own."""
        if not self.settings.webhook_queue_url:
            return None
        from chalicelib.webhooks.delivery import Pipeline
        from chalicelib.webhooks.post import post
        from chalicelib.webhooks.runtime import SqsQueue

        sqs = aws_client("sqs", self.settings, endpoint=self.settings.sqs_endpoint)
        return Pipeline(
            SqsQueue(sqs, self.settings.webhook_queue_url),
            post,
            local_refused_ports=self.settings.webhook_local_refused_ports,
            on_disabled=self.email_admins,
        )

    def email_admins(self, tenant: str, endpoint: Endpoint) -> None:
        """An endpoint was disabled: its tenant's administrators are told (through the sender installed now)."""
        from chalicelib.notifications.webhook_disabled import email_admins

        email_admins(self.notifications, tenant, endpoint)

    @cached_property
    def webhook_endpoints(self) -> WebhookEndpoints:
        from chalicelib.services.webhook_endpoints import WebhookEndpoints

        return WebhookEndpoints(lambda: self.webhook_pipeline, self.settings.webhook_local_refused_ports)


AWS_ATTEMPTS = 5  # SES answers TooManyRequests when the account's sending rate is exceeded
_lock = threading.Lock()
_services: Services | None = None


def configure_storage(settings: Settings) -> None:
    from chalicelib.storage import table

    table.configure(settings.table_name, settings.region, settings.dynamodb_endpoint)


def aws_client(service: str, settings: Settings, endpoint: str | None = None, config: Any = None) -> Any:
    """A boto3 client that retries what AWS refuses for throttling or a passing fault itself: botocore's
    standard retry mode (up to 5 attempts, exponential backoff with jitter), as PynamoDB's client does."""
    import boto3  # imported on first use: cold starts of routes that need no client skip it
    from botocore.config import Config

    retrying = Config(retries={"mode": "standard", "total_max_attempts": AWS_ATTEMPTS})
    config = retrying.merge(config) if config is not None else retrying
    return boto3.client(service, region_name=settings.region, endpoint_url=endpoint, config=config)


def _signing_key(settings: Settings) -> str:
    if settings.signing_key:
        return settings.signing_key
    if settings.signing_key_parameter:
        client = aws_client("ssm", settings)
        value: str = client.get_parameter(Name=settings.signing_key_parameter, WithDecryption=True)["Parameter"][
            "Value"
        ]
        return value
    raise RuntimeError(
        "No token signing key: set ORDERGATE_SIGNING_KEY (local) or ORDERGATE_SIGNING_KEY_PARAMETER (AWS)."
    )


def get_services() -> Services:
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = Services(get_settings())
    return _services


def set_services(services: Services | None) -> None:
    """Tests install services with fakes (e.g. an in-memory e-mail sender)."""
    global _services
    with _lock:
        _services = services


def reset() -> None:
    """Forget built services and settings (tests switch environments between suites)."""
    set_services(None)
    get_settings.cache_clear()
