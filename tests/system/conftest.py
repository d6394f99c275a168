"""Full-system tests: the ``local`` stack deployed into a local cloud (IAM enforced in the AWS
emulator, Storage events on), driven only through real client paths — HTTP to the deployed API,
the Auth emulator's and the local issuer's REST APIs, SDK calls to the emulators. No handler is
ever called directly.

The stack is deployed once per session (``deployed_stack``, from the hybridstack plugin); data
stays between tests, so every test makes its own users and ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hybridstack.emulators.runtime.clients import (
    AuthEmulator,
    SignedInUser,
    aws_client,
    firestore_client,
    storage_client,
)

HTTP_TIMEOUT = 90.0  # a function's first request starts its worker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/system/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.system)


@dataclass
class Api:
    """The deployed HTTP API as a client app calls it."""

    base_url: str
    http: requests.Session

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def call(
        self,
        method: str,
        path: str,
        user: SignedInUser | None = None,
        *,
        token: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.update(user.authorization)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(
            method, self.url(path), headers=headers, timeout=HTTP_TIMEOUT, **kwargs
        )


@pytest.fixture(scope="session")
def stack(deployed_stack: Any) -> Any:
    """The deployed local stack (``.endpoints``, ``.outputs``, ``.cloud``)."""
    return deployed_stack


@pytest.fixture(scope="session")
def api(stack: Any) -> Iterator[Api]:
    with requests.Session() as session:
        yield Api(stack.api_url, session)


@pytest.fixture(scope="session")
def auth(stack: Any) -> AuthEmulator:
    return AuthEmulator(stack.endpoints)


@pytest.fixture
def new_user(auth: AuthEmulator) -> Callable[..., SignedInUser]:
    """``new_user("alice")``: a fresh account, its ID token signed by the local issuer."""

    def make(name: str = "user") -> SignedInUser:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        return auth.sign_up_signed(email, f"{name}-secret-pw")

    return make


@pytest.fixture(scope="session")
def firestore(stack: Any) -> Iterator[Any]:
    client = firestore_client(stack.endpoints)
    yield client
    client.close()


@pytest.fixture(scope="session")
def gcs(stack: Any) -> Any:
    return storage_client(stack.endpoints)


@pytest.fixture(scope="session")
def aws(stack: Any) -> Callable[[str], Any]:
    """``aws("s3")``: a boto3 client on the AWS emulator (an operator's credentials)."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = aws_client(stack.endpoints, service)
        return clients[service]

    return client
