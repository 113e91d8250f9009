"""Webhooks: POST a signed JSON payload to chosen endpoints when a job ends."""

from generation.webhooks.addresses import (  # noqa: F401
    WebhookAddressRejected,
    parse_webhook_url,
    rejection_reason,
    resolve_target,
)
from generation.webhooks.sender import (  # noqa: F401
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from generation.webhooks.service import (  # noqa: F401
    EVENTS,
    DeliveryView,
    EndpointView,
    WebhookSender,
    create_endpoint,
    delete_endpoint,
    deliver_due,
    enqueue_job_event,
    list_deliveries,
    list_endpoints,
    mask_secret,
    send_test,
    start_webhooks,
    stop_webhooks,
)
