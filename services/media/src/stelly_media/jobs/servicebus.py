"""Jobs on an Azure Service Bus queue, received in peek-lock mode.

A received message is locked to this worker; it is completed when done,
abandoned to be delivered again, or dead-lettered with a reason. The worker
renews the lock while a long job runs. Service Bus counts deliveries itself
(and dead-letters past the queue's ``maxDeliveryCount`` on its own too).

A hand-back (:meth:`ServiceBusJobQueue.release`, a worker stopping) is an
abandon too: the lock is dropped, so the message is available to any
receiver at once, at the front of the queue. Service Bus offers no way to
leave such a delivery uncounted, so each hand-back takes one of the
message's deliveries (the queue allows 10, the worker 5 by default). A
receive cancelled while it waits may, as with any ``max_wait_time`` that
runs out, leave a message it had just locked unseen: that message comes
back when its lock expires (``lockDuration``, 1 minute in ``infra/``).
A message carries the sender's trace context as the application property
``traceparent`` (:mod:`stelly_media.jobs.tracing`). The client
authenticates with the managed identity (``STELLY_SERVICEBUS_NAMESPACE``)
or a connection string (``STELLY_SERVICEBUS_CONNECTION_STRING``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stelly_media.jobs.base import ImageJob, JobQueue, ReceivedJob, encode_job
from stelly_media.jobs.tracing import carried_traceparent, sending_job

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["QUEUE_NAME", "ServiceBusJobQueue", "fully_qualified_namespace"]

#: The queue infra/ declares, with dead-lettering enabled.
QUEUE_NAME = "media-jobs"


def fully_qualified_namespace(namespace: str) -> str:
    """``stelly-prod`` or ``stelly-prod.servicebus.windows.net`` -> the FQDN."""
    namespace = namespace.strip().rstrip("/").removeprefix("sb://").removeprefix("https://")
    return namespace if "." in namespace else f"{namespace}.servicebus.windows.net"


class ServiceBusJobQueue(JobQueue):
    """:class:`JobQueue` on one Service Bus queue.

    Args:
        receiver: a peek-lock ``ServiceBusReceiver`` (async) of the queue.
        sender: a ``ServiceBusSender`` (async) of the queue.
        client: the ``ServiceBusClient`` to close with the queue, if owned.
    """

    messaging_system = "servicebus"

    def __init__(self, receiver: Any, sender: Any, client: Any = None) -> None:
        self._receiver = receiver
        self._sender = sender
        self._client = client

    @classmethod
    def from_settings(
        cls, settings: Settings, *, queue_name: str = QUEUE_NAME
    ) -> ServiceBusJobQueue:
        """Connect with the connection string, else the managed identity."""
        from azure.servicebus import ServiceBusReceiveMode
        from azure.servicebus.aio import ServiceBusClient

        if settings.servicebus_connection_string:
            client = ServiceBusClient.from_connection_string(settings.servicebus_connection_string)
        elif settings.servicebus_namespace:
            from azure.identity.aio import DefaultAzureCredential

            client = ServiceBusClient(
                fully_qualified_namespace(settings.servicebus_namespace),
                credential=DefaultAzureCredential(),
            )
        else:
            raise RuntimeError(
                "invalid settings: STELLY_SERVICEBUS_NAMESPACE or "
                "STELLY_SERVICEBUS_CONNECTION_STRING: one is needed with STELLY_QUEUE=servicebus"
            )
        receiver = client.get_queue_receiver(
            queue_name, receive_mode=ServiceBusReceiveMode.PEEK_LOCK, prefetch_count=0
        )
        sender = client.get_queue_sender(queue_name)
        return cls(receiver, sender, client)

    async def enqueue(self, job: ImageJob) -> None:
        from azure.servicebus import ServiceBusMessage

        with sending_job("servicebus") as traceparent:
            await self._sender.send_messages(
                ServiceBusMessage(
                    encode_job(job),
                    content_type="application/json",
                    application_properties=(
                        {"traceparent": traceparent} if traceparent is not None else None
                    ),
                )
            )

    async def receive(self, wait_seconds: float) -> ReceivedJob | None:
        messages = await self._receiver.receive_messages(
            max_message_count=1, max_wait_time=max(1.0, wait_seconds)
        )
        if not messages:
            return None
        message = messages[0]
        raw = b"".join(bytes(part) for part in message.body)
        # received property keys and string values are bytes
        properties = getattr(message, "application_properties", None) or {}
        traceparent = carried_traceparent(
            properties.get(b"traceparent", properties.get("traceparent"))
        )
        return self.decode(raw, int(message.delivery_count or 0) or 1, message, traceparent)

    async def complete(self, received: ReceivedJob) -> None:
        await self._receiver.complete_message(received.handle)

    async def retry(self, received: ReceivedJob) -> None:
        await self._receiver.abandon_message(received.handle)

    async def dead_letter(self, received: ReceivedJob, reason: str) -> None:
        await self._receiver.dead_letter_message(
            received.handle, reason=reason[:200], error_description=reason[:1000]
        )

    async def release(self, received: ReceivedJob) -> None:
        await self._receiver.abandon_message(received.handle)

    async def renew(self, received: ReceivedJob) -> None:
        await self._receiver.renew_message_lock(received.handle)

    async def close(self) -> None:
        for part in (self._receiver, self._sender, self._client):
            if part is not None:
                await part.close()
