"""What the registry consumes: transfers' requests to tell households what became of their payments."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.registry.service_layer.common import Dependencies
from services.registry.service_layer.messages import keep_requests
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.contracts.messages import load_requests
from shared.events import CloudEvent


def message_requests_handler(deps: Dependencies) -> Callable[[Session, CloudEvent], bool]:
    """The handler of ``transfers.messages`` events, in the inbox's transaction.

    :raise InvalidInput: a request is malformed (the consumer dead-letters the event).
    """

    def apply(session: Session, event: CloudEvent) -> bool:
        requests = load_requests(event.data)
        with RegistryUnitOfWork.joining(session) as uow:
            keep_requests(requests, uow, deps)
        return True

    return apply
