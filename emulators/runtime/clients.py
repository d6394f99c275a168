"""SDK clients pointed at a running local cloud, built from its :class:`LocalCloudEndpoints`.

The seed loader, the pytest plugin and scripts all need the same clients: boto3 against the AWS
emulator, the Google clients against the Firestore / Pub/Sub / Storage emulators with anonymous
credentials, a firebase-admin app, and the Auth emulator's REST API (sign-up, batch import and
export, wipe). They are made here, once, so none of them depends on what happens to be in
``os.environ``.

Example:
    endpoints = LocalCloud(services=["aws", "firestore"]).start()
    s3 = aws_client(endpoints, "s3")
    db = firestore_client(endpoints)
    db.collection("users").document("alice").set({"plan": "pro"})
    user = AuthEmulator(endpoints).sign_up("alice@example.com", "secret-pw")
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

import boto3
import requests
from google.auth.credentials import AnonymousCredentials

from hybridstack.emulators.runtime.endpoints import (
    TEST_ACCESS_KEY,
    TEST_SECRET_KEY,
    LocalCloudEndpoints,
)

# The Auth emulator accepts any API key for client calls and "owner" as an admin bearer token.
EMULATOR_API_KEY = "fake-api-key"
_ADMIN_HEADERS = {"Authorization": "Bearer owner"}
_HTTP_TIMEOUT = 30.0

_environ_lock = threading.RLock()


class EmulatorNotRunningError(RuntimeError):
    """A client was asked for an emulator the local cloud was not started with."""


def require(endpoints: LocalCloudEndpoints, service: str) -> str:
    """The address of ``service`` (``aws``, ``auth``, ``firestore``, ...), or a clear error."""
    address = getattr(endpoints, service)
    if not address:
        raise EmulatorNotRunningError(
            f"the local cloud has no {service!r} emulator running "
            f"(start it with services including {service!r})"
        )
    return str(address)


@contextmanager
def emulator_environment(endpoints: LocalCloudEndpoints) -> Iterator[None]:
    """Temporarily export ``endpoints.environment()`` (Google clients read it when created)."""
    with _environ_lock:
        saved = {name: os.environ.get(name) for name in endpoints.environment()}
        os.environ.update(endpoints.environment())
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def aws_client(endpoints: LocalCloudEndpoints, service: str, **kwargs: Any) -> Any:
    """A boto3 client for ``service`` on the AWS emulator, with the emulator's test credentials."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=require(endpoints, "aws"),
        region_name=endpoints.region,
        aws_access_key_id=TEST_ACCESS_KEY,
        aws_secret_access_key=TEST_SECRET_KEY,
        **kwargs,
    )


def firestore_client(endpoints: LocalCloudEndpoints) -> Any:
    """A ``google.cloud.firestore.Client`` on the Firestore emulator."""
    from google.cloud import firestore

    require(endpoints, "firestore")
    with emulator_environment(endpoints):
        return firestore.Client(project=endpoints.project_id, credentials=AnonymousCredentials())


def storage_client(endpoints: LocalCloudEndpoints) -> Any:
    """A ``google.cloud.storage.Client`` on the Storage emulator (fake-gcs-server)."""
    from google.cloud.storage import Client

    require(endpoints, "storage")
    with emulator_environment(endpoints):
        return Client(project=endpoints.project_id, credentials=AnonymousCredentials())


def publisher_client(endpoints: LocalCloudEndpoints) -> Any:
    """A ``google.cloud.pubsub_v1.PublisherClient`` on the Pub/Sub emulator."""
    from google.cloud.pubsub_v1 import PublisherClient

    require(endpoints, "pubsub")
    with emulator_environment(endpoints):
        return PublisherClient(credentials=AnonymousCredentials())


def subscriber_client(endpoints: LocalCloudEndpoints) -> Any:
    """A ``google.cloud.pubsub_v1.SubscriberClient`` on the Pub/Sub emulator."""
    from google.cloud.pubsub_v1 import SubscriberClient

    require(endpoints, "pubsub")
    with emulator_environment(endpoints):
        return SubscriberClient(credentials=AnonymousCredentials())


def firebase_app(endpoints: LocalCloudEndpoints, name: str | None = None) -> Any:
    """A firebase-admin app with anonymous credentials for the endpoints' project.

    firebase-admin reads ``FIREBASE_AUTH_EMULATOR_HOST`` when a service is first used, so use
    the app where :meth:`LocalCloudEndpoints.environment` is exported (the pytest plugin does).
    """
    import firebase_admin

    return firebase_admin.initialize_app(
        AnonymousCredentials(),
        options={"projectId": endpoints.project_id},
        name=name or f"hybridstack-{uuid4().hex[:8]}",
    )


@dataclass(frozen=True)
class SignedInUser:
    """A user signed in through the Auth emulator: its uid and the tokens it received.

    Example:
        alice = AuthEmulator(endpoints).sign_up("alice@example.com", "alice-secret")
        requests.get(url, headers=alice.authorization)
    """

    uid: str
    email: str | None
    id_token: str
    refresh_token: str

    @property
    def authorization(self) -> dict[str, str]:
        """The ``Authorization`` header a client app would send with this user's ID token."""
        return {"Authorization": f"Bearer {self.id_token}"}


class AuthEmulatorError(RuntimeError):
    """The Auth emulator refused a request; the message carries its reason (``EMAIL_EXISTS``)."""


class AuthEmulator:
    """The Firebase Auth emulator's REST API: what a client app and an admin would call.

    Example:
        auth = AuthEmulator(endpoints)
        alice = auth.sign_up("alice@example.com", "secret-pw")
        requests.get(api_url, headers=alice.authorization)
        auth.import_users([{"localId": "bob", "email": "bob@example.com", "rawPassword": "pw1234"}])
        auth.delete_all_users()

        # what a JWT authorizer accepts: the identity signed by the local issuer (RS256)
        carol = auth.sign_up_signed("carol@example.com", "secret-pw")
        requests.get(api_url, headers=carol.authorization)
    """

    def __init__(self, endpoints: LocalCloudEndpoints, session: requests.Session | None = None):
        self.host = require(endpoints, "auth")
        self.project_id = endpoints.project_id
        self.issuer = endpoints.issuer
        self._http = session or requests.Session()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        admin: bool = False,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = self._http.request(
            method,
            f"{self.base_url}/{path}",
            json=json,
            params=params,
            headers=_ADMIN_HEADERS if admin else None,
            timeout=_HTTP_TIMEOUT,
        )
        body: dict[str, Any] = response.json() if response.content else {}
        if response.status_code >= 400:
            reason = body.get("error", {}).get("message", response.text)
            raise AuthEmulatorError(f"Auth emulator {method} /{path}: {reason}")
        return body

    def _user(self, body: Mapping[str, Any]) -> SignedInUser:
        return SignedInUser(
            uid=body["localId"],
            email=body.get("email"),
            id_token=body["idToken"],
            refresh_token=body["refreshToken"],
        )

    def sign_up(self, email: str, password: str) -> SignedInUser:
        """Create an email/password account as a client app would; returns its ID token."""
        body = self._call(
            "POST",
            "identitytoolkit.googleapis.com/v1/accounts:signUp",
            params={"key": EMULATOR_API_KEY},
            json={"email": email, "password": password, "returnSecureToken": True},
        )
        return self._user(body)

    def sign_up_anonymously(self) -> SignedInUser:
        """Create an anonymous account (``signInAnonymously`` in a client app)."""
        body = self._call(
            "POST",
            "identitytoolkit.googleapis.com/v1/accounts:signUp",
            params={"key": EMULATOR_API_KEY},
            json={"returnSecureToken": True},
        )
        return self._user(body)

    def sign_in(self, email: str, password: str) -> SignedInUser:
        """Sign in with email and password; returns a fresh ID token (with custom claims)."""
        body = self._call(
            "POST",
            "identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
            params={"key": EMULATOR_API_KEY},
            json={"email": email, "password": password, "returnSecureToken": True},
        )
        return self._user(body)

    def signed_token(self, user: SignedInUser | str) -> str:
        """The user's identity as an RS256 token of the local issuer (what the API accepts).

        Exchanges the emulator's unsigned ID token at the local issuer, which checks it against
        the emulator's records first (:mod:`hybridstack.emulators.runtime.local_issuer`).
        """
        from hybridstack.emulators.runtime.local_issuer import LocalIssuerClient

        if not self.issuer:
            raise EmulatorNotRunningError(
                "the local cloud runs no token issuer (it starts with the 'auth' emulator)"
            )
        id_token = user.id_token if isinstance(user, SignedInUser) else user
        return LocalIssuerClient(self.issuer, self._http).exchange(id_token)

    def sign_up_signed(self, email: str, password: str) -> SignedInUser:
        """:meth:`sign_up`, with ``id_token`` signed by the local issuer."""
        user = self.sign_up(email, password)
        return replace(user, id_token=self.signed_token(user))

    def sign_in_signed(self, email: str, password: str) -> SignedInUser:
        """:meth:`sign_in` (fresh custom claims), with ``id_token`` signed by the local issuer."""
        user = self.sign_in(email, password)
        return replace(user, id_token=self.signed_token(user))

    def set_custom_claims(self, uid: str, claims: Mapping[str, Any]) -> None:
        """Set a user's custom claims (``role``, ...) as the Admin SDK does; sign in again to
        get a token carrying them."""
        self._call(
            "POST",
            f"identitytoolkit.googleapis.com/v1/projects/{self.project_id}/accounts:update",
            admin=True,
            json={"localId": uid, "customAttributes": json.dumps(dict(claims))},
        )

    def import_users(self, users: list[dict[str, Any]], *, overwrite: bool = True) -> None:
        """Create (or replace, same ``localId``) users in one ``accounts:batchCreate`` call.

        The emulator accepts ``rawPassword`` as well as its own ``passwordHash``/``salt``.
        """
        if not users:
            return
        body = self._call(
            "POST",
            f"identitytoolkit.googleapis.com/v1/projects/{self.project_id}/accounts:batchCreate",
            admin=True,
            json={"users": users, "allowOverwrite": overwrite},
        )
        if body.get("error"):
            failures = "; ".join(
                f"{users[e['index']].get('email') or users[e['index']].get('localId')}: "
                f"{e.get('message')}"
                for e in body["error"]
            )
            raise AuthEmulatorError(f"Auth emulator refused users: {failures}")

    def export_users(self) -> list[dict[str, Any]]:
        """Every user of the project as the emulator stores it (``accounts:batchGet``)."""
        users: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"maxResults": 1000}
            if token:
                params["nextPageToken"] = token
            body = self._call(
                "GET",
                f"identitytoolkit.googleapis.com/v1/projects/{self.project_id}/accounts:batchGet",
                admin=True,
                params=params,
            )
            users.extend(body.get("users", []))
            token = body.get("nextPageToken")
            if not token or not body.get("users"):
                return users

    def delete_all_users(self) -> None:
        """Wipe every account of the project (the emulator's own endpoint)."""
        self._call("DELETE", f"emulator/v1/projects/{self.project_id}/accounts")
