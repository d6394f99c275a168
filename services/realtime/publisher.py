"""A typed publisher from AWS code to Firestore: batched writes, server timestamps, retries.

Documents are pydantic models; each write sets ``updatedAt`` to the server's timestamp (clients
order and de-duplicate by it, not by a Lambda's clock). Writes are queued and committed in
batches of at most 500 (Firestore's limit per batch), each commit retried with exponential
backoff on transient errors (unavailable, deadline exceeded, aborted, too many requests).

Example:
    class MediaStatus(BaseModel):
        ownerId: str
        status: Literal["uploaded", "processing", "ready", "failed"]

    publisher = RealtimePublisher()                      # the linked store (or the emulator)
    publisher.set("media/m1", MediaStatus(ownerId="u1", status="processing"))
    publisher.flush()                                    # one batched, retried commit
    publisher.publish("media/m1", MediaStatus(ownerId="u1", status="ready"))  # set + flush
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as google_errors
from google.api_core.retry import Retry, if_exception_type
from google.cloud import firestore
from pydantic import BaseModel

from hybridstack.services.common.clients import collection, firestore_client

MAX_BATCH = 500
TRANSIENT = if_exception_type(
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.Aborted,
    google_errors.TooManyRequests,
    google_errors.InternalServerError,
)
DEFAULT_RETRY = Retry(predicate=TRANSIENT, initial=0.2, maximum=5.0, multiplier=2.0, timeout=30)


@dataclass(frozen=True)
class _Write:
    path: str
    data: dict[str, Any]
    merge: bool


class RealtimePublisher:
    """Queue typed document writes and commit them in retried batches.

    ``path`` is ``collection/doc[/collection/doc...]``; the linked store's collection prefix is
    added to the first segment.

    Example:
        RealtimePublisher().publish("dashboards/spotify", DashboardDoc(...))
    """

    def __init__(self, client: Any | None = None, *, retry: Retry = DEFAULT_RETRY) -> None:
        self._client = client
        self._retry = retry
        self._pending: list[_Write] = []

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = firestore_client()
        return self._client

    def set(self, path: str, document: BaseModel, *, merge: bool = True) -> None:
        """Queue a write of ``document`` (with ``updatedAt`` = server time) at ``path``."""
        segments = path.strip("/").split("/")
        if len(segments) % 2 or not all(segments):
            raise ValueError(f"{path!r} is not a document path (collection/doc[/...])")
        data = document.model_dump(mode="json", by_alias=True)
        data["updatedAt"] = firestore.SERVER_TIMESTAMP
        self._pending.append(_Write(path.strip("/"), data, merge))

    def delete_field_values(self, path: str, fields: list[str]) -> None:
        """Queue the removal of ``fields`` from the document at ``path``."""
        data: dict[str, Any] = dict.fromkeys(fields, firestore.DELETE_FIELD)
        data["updatedAt"] = firestore.SERVER_TIMESTAMP
        self._pending.append(_Write(path.strip("/"), data, True))

    def flush(self) -> int:
        """Commit every queued write in batches of at most 500; returns how many were written."""
        written = 0
        while self._pending:
            chunk, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            batch = self.client.batch()
            for write in chunk:
                first, _, rest = write.path.partition("/")
                reference = self.client.document(f"{collection(first)}/{rest}")
                batch.set(reference, write.data, merge=write.merge)
            try:
                batch.commit(retry=self._retry)
            except Exception:
                self._pending = chunk + self._pending  # nothing is lost: a retry can flush again
                raise
            written += len(chunk)
        return written

    def publish(self, path: str, document: BaseModel, *, merge: bool = True) -> None:
        """Write one document now (queue + flush)."""
        self.set(path, document, merge=merge)
        self.flush()

    @property
    def pending(self) -> int:
        """How many writes wait for :meth:`flush`."""
        return len(self._pending)
