"""The local cloud's OIDC issuer: Auth-emulator identities, re-issued as RS256-signed ID tokens.

The Firebase Auth emulator signs nothing (``alg: none``), and a JWT authorizer — API Gateway's
in the cloud, MiniStack's locally — accepts only tokens it can verify against the issuer's keys.
This small HTTP server on 127.0.0.1 is that issuer for the local stack:

- ``GET /<project>/.well-known/openid-configuration`` and ``GET /<project>/.well-known/jwks.json``:
  OIDC discovery and the public half of an RSA key made for this run of the local cloud;
- ``POST /<project>/token`` (OAuth 2.0 token exchange, RFC 8693, form-encoded
  ``grant_type=urn:ietf:params:oauth:grant-type:token-exchange``, ``subject_token=<id token>``,
  ``subject_token_type=urn:ietf:params:oauth:token-type:id_token``): an Auth-emulator ID token in,
  the same identity out as an RS256 token with ``iss = <issuer URL>/<project>``,
  ``aud = <project>`` and a short life (``expires_in``, at most the emulator token's own).

**Google-signed pushes.** In the cloud a Pub/Sub push subscription attaches a Google-signed OIDC
token of its service account (``oidc_token``), and the API's authorizer trusts
``https://accounts.google.com``. The Pub/Sub emulator attaches nothing, so the issuer also stands
in for Google: ``/google`` serves discovery and the same keys (:func:`google_issuer`), and
``POST /google/push?endpoint=..&audience=..&email=..`` relays a push to ``endpoint`` with a token
``{iss: <issuer base>/google, aud: audience, email, email_verified: true}``. A local deploy points
such subscriptions at :func:`push_relay_url` and the Google authorizer at :func:`google_issuer`.

**A metadata server for a service account.** Code on Cloud Functions gets the ID token of its
service account from the metadata server (google-auth's ``fetch_id_token``). Under
``/google/metadata/<email>`` the issuer answers the requests google-auth makes there (the ping,
``computeMetadata/v1/instance/service-accounts/default/?recursive=true`` and
``.../default/identity?audience=..``) with ``email`` as the account and the same Google-style
tokens as pushes carry: point ``GCE_METADATA_HOST`` and ``GCE_METADATA_IP`` at
:func:`metadata_host` and the unchanged code mints tokens the local authorizer trusts.

The local stack's ``Identity`` takes this issuer (:func:`hybridstack.local_settings.local_settings`
hands it to the program the local deploy engine runs), so its API
keeps the authorizer configuration it has in the cloud — issuer + audience — and a forged,
unsigned, expired or wrong-audience token is refused locally just as it is there.

**What is exchanged.** The emulator's tokens carry no secret, so "genuine" is established against
the emulator's own records: the token must be an unsigned, unexpired emulator token of this
project, the emulator must accept it (``accounts:lookup``: the account exists, is enabled, the
token is not revoked), and it must be, claim for claim, the token the emulator issues for the
account's current sign-in (:func:`session_claims`, firebase-tools' ``generateJwt`` rebuilt from
the record): uid, email and its verification, phone, name, picture, identities, sign-in method,
custom claims (none added, changed or dropped), ``auth_time`` equal to the second of the last
sign-in (not "close to it"), ``iat`` between that sign-in and the emulator's last issue of a
token for the account, and ``exp`` = ``iat`` + 3600 s. A token written or edited by hand (another
uid, an extra ``role``, a guessed ``auth_time`` or ``iat``, another project) is refused with
``invalid_grant`` naming each claim that differs; so is a token of an earlier sign-in once the
account signed in again (sign in, or refresh, and exchange the new token). One token with wrong
claims for an account burns its current sign-in (:class:`BurnedSignIns`): no token of it is
exchanged any more until the account signs in again, so a guessed ``auth_time`` gets one try.
(Claims a *custom token* adds at sign-in live only in the emulator's session, not its records, so
those tokens are refused too.)

What this cannot prove: the emulator keeps no per-session secret (its ID tokens are unsigned,
its refresh tokens are base64 JSON naming the uid, and it signs anyone in with an unsigned custom
token), so whoever can reach the emulator on 127.0.0.1 can read an account's sign-in times and
write the exact token. The issuer guarantees that it signs only what the emulator's current
session says, never more; the emulator itself must stay on loopback (it does).

Run by :class:`~hybridstack.emulators.runtime.local_cloud.LocalCloud` next to the Auth emulator (a
process of its own, ``python -m hybridstack.emulators.runtime.local_issuer``); the key is written
to the
run's state directory (mode 0600) so tests can mint tokens the authorizer must refuse.

Example:
    endpoints = LocalCloud(services=["auth"]).start()
    alice = AuthEmulator(endpoints).sign_up("alice@example.com", "alice-secret")
    signed = LocalIssuerClient(endpoints.issuer).exchange(alice.id_token)
    requests.get(f"{api_url}/users/me", headers={"Authorization": f"Bearer {signed}"})

    key = SigningKey.from_pem_file(state_dir / KEY_FILE)          # tests: tokens to refuse
    expired = key.sign({"sub": alice.uid, "iss": endpoints.issuer, "aud": project, "exp": 1})
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hybridstack.emulators.runtime.http_health import answers_ok
from hybridstack.emulators.runtime.ports import LOOPBACK

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "EMULATOR_ISSUER_PREFIX",
    "GOOGLE_ROOT",
    "GRANT_TYPE",
    "KEY_FILE",
    "BurnedSignIns",
    "ExchangeRefusedError",
    "LocalIssuerClient",
    "LocalIssuerServer",
    "SigningKey",
    "google_issuer",
    "issuer_url",
    "metadata_host",
    "push_relay_url",
    "session_claims",
    "verify_emulator_token",
]

KEY_FILE = "issuer-key.pem"
GOOGLE_ROOT = "google"
"""The path under which the issuer stands in for ``https://accounts.google.com``."""
PUSH_TOKEN_SECONDS = 3600
DEFAULT_TTL_SECONDS = 600
EMULATOR_ISSUER_PREFIX = "https://securetoken.google.com/"
EMULATOR_TOKEN_SECONDS = 3600
"""The lifetime of every ID token the Auth emulator issues (``issueTokens``)."""
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
_EMULATOR_API_KEY = "fake-api-key"
_HTTP_TIMEOUT = 10.0
PUSH_RELAY_TIMEOUT = 90.0  # a Lambda's first request starts its worker
# Registered claims the issuer sets itself; everything else is copied from the emulator token.
_REISSUED = ("iss", "aud", "iat", "exp", "nbf", "jti")
# Identity claims the emulator writes into every token (generateJwt in firebase-tools).
_STANDARD = frozenset(
    {
        *_REISSUED,
        "sub",
        "user_id",
        "auth_time",
        "firebase",
        "email",
        "email_verified",
        "phone_number",
        "name",
        "picture",
        "provider_id",
    }
)


def issuer_url(base: str, project_id: str) -> str:
    """``http://127.0.0.1:<port>/<project>``: the ``iss`` of the tokens and the discovery root."""
    return f"{base.rstrip('/')}/{project_id}"


def _base_of(project_issuer: str) -> str:
    return project_issuer.rstrip("/").rsplit("/", 1)[0]


def google_issuer(project_issuer: str) -> str:
    """The local stand-in for ``https://accounts.google.com`` next to ``project_issuer``."""
    return f"{_base_of(project_issuer)}/{GOOGLE_ROOT}"


def push_relay_url(project_issuer: str, endpoint: str, audience: str, email: str) -> str:
    """Where a push subscription sends its pushes so they reach ``endpoint`` with a token
    for ``audience`` of the service account ``email`` (as Pub/Sub's ``oidc_token`` does)."""
    query = urlencode({"endpoint": endpoint, "audience": audience, "email": email})
    return f"{google_issuer(project_issuer)}/push?{query}"


def metadata_host(project_issuer: str, email: str) -> str:
    """``host:port/google/metadata/<email>``: the value of ``GCE_METADATA_HOST`` (and
    ``GCE_METADATA_IP``) under which google-auth gets ID tokens of service account ``email``."""
    base = google_issuer(project_issuer).split("://", 1)[1]
    return f"{base}/metadata/{quote(email, safe='')}"


class SigningKey:
    """An RSA key pair that signs RS256 tokens and publishes its public half as a JWKS.

    Example:
        key = SigningKey.generate()
        token = key.sign({"sub": "alice", "iss": issuer, "aud": "demo-x", "exp": exp})
        key.jwks()  # {"keys": [{"kty": "RSA", "kid": ..., "n": ..., "e": "AQAB", ...}]}
    """

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(der).hexdigest()[:16]

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def from_pem_file(cls, path: Path) -> SigningKey:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return cls(loaded)

    def write_pem(self, path: Path) -> Path:
        """Write the private key (PKCS#8 PEM) readable by the owner only."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return path

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk |= {"kid": self.kid, "use": "sig", "alg": "RS256"}
        return {"keys": [jwk]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(
            dict(claims), self.private_key, algorithm="RS256", headers={"kid": self.kid}
        )


class ExchangeRefusedError(ValueError):
    """The presented token is not a live Auth-emulator identity; the message says why."""


def _lookup(auth_host: str, id_token: str) -> dict[str, Any]:
    """The account behind ``id_token`` as the Auth emulator sees it (``accounts:lookup``)."""
    try:
        response = requests.post(
            f"http://{auth_host}/identitytoolkit.googleapis.com/v1/accounts:lookup",
            params={"key": _EMULATOR_API_KEY},
            json={"idToken": id_token},
            timeout=_HTTP_TIMEOUT,
        )
    except requests.RequestException as error:
        raise ConnectionError(f"the Auth emulator at {auth_host} did not answer: {error}") from None
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code >= 400:
        reason = body.get("error", {}).get("message", response.text)
        raise ExchangeRefusedError(f"the Auth emulator refused the token: {reason}")
    users = body.get("users") or []
    if len(users) != 1:
        raise ExchangeRefusedError("the Auth emulator knows no account for this token")
    user: dict[str, Any] = users[0]
    return user


def _expected_identities(user: Mapping[str, Any]) -> dict[str, list[str]]:
    identities: dict[str, list[str]] = {}
    if user.get("email"):
        identities["email"] = [user["email"]]
    for info in user.get("providerUserInfo") or []:
        provider, raw_id = info.get("providerId"), info.get("rawId")
        if provider and provider != "password" and raw_id:
            identities.setdefault(provider, []).append(raw_id)
    return identities


def _sign_in_methods(user: Mapping[str, Any]) -> set[str]:
    methods = {info.get("providerId") for info in user.get("providerUserInfo") or []}
    methods.discard(None)
    if not methods:
        methods.add("anonymous")  # an account with no provider signed in anonymously
    methods.add("custom")  # any account may sign in with a custom token
    return {str(method) for method in methods}


def _millis(value: Any) -> int | None:
    """Epoch milliseconds from the emulator's ``lastLoginAt`` (digits) or ``lastRefreshAt``
    (ISO 8601); None when absent."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return int(text)
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def session_claims(
    user: Mapping[str, Any], sign_in_provider: str, project_id: str
) -> dict[str, Any]:
    """Every claim but ``iat``/``exp`` of the ID token the emulator issues for ``user``'s current
    sign-in: firebase-tools' ``generateJwt`` (``lib/emulator/auth/operations.js``) rebuilt from
    the account record (``auth_time`` is the last sign-in, to the second; claims it would leave
    undefined are absent, as ``JSON.stringify`` drops them)."""
    uid = user.get("localId")
    login = _millis(user.get("lastLoginAt"))
    if login is None:
        login = _millis(user.get("lastRefreshAt"))
    claims: dict[str, Any] = {
        "name": user.get("displayName"),
        "picture": user.get("photoUrl"),
        **json.loads(user.get("customAttributes") or "{}"),
        "email": user.get("email"),
        "email_verified": user.get("emailVerified"),
        "phone_number": user.get("phoneNumber"),
        "provider_id": "anonymous" if sign_in_provider == "anonymous" else None,
        "auth_time": None if login is None else login // 1000,
        "user_id": uid,
        "firebase": {
            "identities": _expected_identities(user),
            "sign_in_provider": sign_in_provider,
        },
        "sub": uid,
        "iss": f"{EMULATOR_ISSUER_PREFIX}{project_id}",
        "aud": project_id,
    }
    return {name: value for name, value in claims.items() if value is not None}


def _check_claims(claims: Mapping[str, Any], user: Mapping[str, Any], project_id: str) -> None:
    """The token is one the emulator issued for ``user``'s current sign-in, claim for claim.

    Every claim but ``iat``/``exp`` must equal :func:`session_claims` (nothing added, changed or
    dropped; ``auth_time`` to the second of the last sign-in, not "close to it"); ``iat`` must lie
    between that sign-in and the emulator's last issue of a token for the account
    (``lastRefreshAt``, the second it ticked in allowed), and ``exp`` be ``iat`` + the emulator's
    fixed lifetime.
    """
    if claims.get("sub") != user.get("localId") or claims.get("user_id") != user.get("localId"):
        raise ExchangeRefusedError("sub/user_id do not name the account the emulator found")
    firebase = claims.get("firebase")
    if not isinstance(firebase, dict):
        raise ExchangeRefusedError("the 'firebase' claim is missing")
    provider = firebase.get("sign_in_provider")
    if provider not in _sign_in_methods(user):
        raise ExchangeRefusedError(
            f"firebase.sign_in_provider {provider!r} is not a sign-in method of the account"
        )
    expected = session_claims(user, str(provider), project_id)
    presented = {name: value for name, value in claims.items() if name not in ("iat", "exp")}
    differing = sorted(
        name for name in set(expected) | set(presented) if presented.get(name) != expected.get(name)
    )
    if differing:
        details = "; ".join(
            f"claim {name!r} = {presented.get(name)!r}, the session has {expected.get(name)!r}"
            for name in differing
        )
        raise ExchangeRefusedError(f"not the emulator's session for this sign-in: {details}")
    iat, exp = claims.get("iat"), claims.get("exp")
    last_issued = _millis(user.get("lastRefreshAt"))
    latest = None if last_issued is None else last_issued // 1000 + 1
    if not isinstance(iat, int) or iat < expected["auth_time"] or latest is None or iat > latest:
        raise ExchangeRefusedError(
            f"iat {iat!r} is not when the emulator issued a token of this sign-in "
            f"(between {expected['auth_time']} and {latest})"
        )
    if exp != iat + EMULATOR_TOKEN_SECONDS:
        raise ExchangeRefusedError(
            f"exp {exp!r} is not iat + {EMULATOR_TOKEN_SECONDS} s, the emulator's token lifetime"
        )


class BurnedSignIns:
    """Sign-ins for which a token with wrong claims was presented: none of their tokens is
    exchanged any more, so a guess at ``auth_time`` gets one try per sign-in, not thirty.

    A genuine client never presents wrong claims; one that held a stale token (custom claims
    changed) signs in again, which starts a new sign-in. Kept in memory, per issuer process.

    Example:
        burned = BurnedSignIns()
        burned.burn("u1", "1733616000123")
        burned.check("u1", "1733616000123")   # ExchangeRefusedError
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._burned: set[tuple[str, str]] = set()

    def burn(self, uid: str, sign_in: str) -> None:
        with self._lock:
            self._burned.add((uid, sign_in))

    def check(self, uid: str, sign_in: str) -> None:
        with self._lock:
            burned = (uid, sign_in) in self._burned
        if burned:
            raise ExchangeRefusedError(
                "a token with wrong claims was presented for this sign-in before: no token of "
                "it is exchanged any more; sign in again"
            )


def _sign_in_of(user: Mapping[str, Any]) -> str:
    return str(user.get("lastLoginAt") or user.get("lastRefreshAt") or "")


def verify_emulator_token(
    id_token: str,
    *,
    auth_host: str,
    project_id: str,
    now: float | None = None,
    burned: BurnedSignIns | None = None,
) -> dict[str, Any]:
    """The claims of a genuine, live Auth-emulator ID token; :class:`ExchangeRefusedError` else.

    See the module docstring for what "genuine" is checked against. With ``burned``, a token
    whose claims differ from the session burns that sign-in (:class:`BurnedSignIns`).
    """
    try:
        header = jwt.get_unverified_header(id_token)
        claims: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise ExchangeRefusedError(f"not a JWT: {error}") from None
    if header.get("alg") != "none":
        raise ExchangeRefusedError(
            f"not an Auth emulator token (alg {header.get('alg')!r}; the emulator signs nothing)"
        )
    expected_issuer = f"{EMULATOR_ISSUER_PREFIX}{project_id}"
    if claims.get("iss") != expected_issuer:
        raise ExchangeRefusedError(f"iss {claims.get('iss')!r} is not {expected_issuer!r}")
    if claims.get("aud") != project_id:
        raise ExchangeRefusedError(f"aud {claims.get('aud')!r} is not {project_id!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= (now if now is not None else time.time()):
        raise ExchangeRefusedError("the token has expired (or has no exp)")
    user = _lookup(auth_host, id_token)
    uid, sign_in = str(user.get("localId")), _sign_in_of(user)
    if burned is not None:
        burned.check(uid, sign_in)
    try:
        _check_claims(claims, user, project_id)
    except ExchangeRefusedError:
        if burned is not None:
            burned.burn(uid, sign_in)
        raise
    return claims


def reissue(
    claims: Mapping[str, Any],
    key: SigningKey,
    *,
    issuer: str,
    audience: str,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> tuple[str, int]:
    """The same identity as an RS256 token of ``issuer``; returns (token, seconds it lives)."""
    issued_at = int(now if now is not None else time.time())
    expires = min(int(claims["exp"]), issued_at + ttl_seconds)
    payload = {name: value for name, value in claims.items() if name not in _REISSUED}
    payload |= {"iss": issuer, "aud": audience, "iat": issued_at, "exp": expires}
    return key.sign(payload), expires - issued_at


class LocalIssuerServer:
    """The issuer as an HTTP server on 127.0.0.1 (``serve_forever`` in a thread or a process).

    Example:
        server = LocalIssuerServer(SigningKey.generate(), project_id="demo-x",
                                   auth_host="127.0.0.1:9099", port=9399)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        server.issuer            # http://127.0.0.1:9399/demo-x
        server.shutdown()
    """

    def __init__(
        self,
        key: SigningKey,
        *,
        project_id: str,
        auth_host: str,
        port: int = 0,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, not {ttl_seconds}")
        self.key = key
        self.project_id = project_id
        self.auth_host = auth_host
        self.ttl_seconds = ttl_seconds
        self.burned = BurnedSignIns()
        self._server = ThreadingHTTPServer((LOOPBACK, port), self._handler_class())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.issuer = issuer_url(self.base_url, project_id)
        self.google_issuer = google_issuer(self.issuer)

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def discovery(self, issuer: str | None = None) -> dict[str, Any]:
        issuer = issuer or self.issuer
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "token_endpoint": f"{self.issuer}/token",
            "grant_types_supported": [GRANT_TYPE],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": sorted(_STANDARD - {"nbf", "jti"}),
        }

    def exchange(self, form: Mapping[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """RFC 8693 token exchange; (HTTP status, JSON body)."""

        def value(name: str) -> str:
            values = form.get(name) or [""]
            return values[0]

        if value("grant_type") != GRANT_TYPE:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"grant_type must be {GRANT_TYPE}",
            }
        if not value("subject_token"):
            return 400, {
                "error": "invalid_request",
                "error_description": "subject_token (the Auth emulator ID token) is missing",
            }
        if value("subject_token_type") not in ("", ID_TOKEN_TYPE, JWT_TOKEN_TYPE):
            return 400, {
                "error": "invalid_request",
                "error_description": f"subject_token_type must be {ID_TOKEN_TYPE}",
            }
        try:
            claims = verify_emulator_token(
                value("subject_token"),
                auth_host=self.auth_host,
                project_id=self.project_id,
                burned=self.burned,
            )
        except ExchangeRefusedError as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}
        except ConnectionError as error:
            return 503, {"error": "temporarily_unavailable", "error_description": str(error)}
        token, lifetime = reissue(
            claims,
            self.key,
            issuer=self.issuer,
            audience=self.project_id,
            ttl_seconds=self.ttl_seconds,
        )
        return 200, {
            "access_token": token,
            "issued_token_type": JWT_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }

    def push_token(self, audience: str, email: str) -> str:
        """A Google-style OIDC token of service account ``email`` for ``audience``."""
        now = int(time.time())
        subject = hashlib.sha256(email.encode()).hexdigest()[:21]
        return self.key.sign(
            {
                "iss": self.google_issuer,
                "aud": audience,
                "azp": subject,
                "sub": subject,
                "email": email,
                "email_verified": True,
                "iat": now,
                "exp": now + PUSH_TOKEN_SECONDS,
            }
        )

    def metadata(self, path: str, query: Mapping[str, list[str]]) -> tuple[int, str, str]:
        """A metadata server request under ``/google/metadata/<email>``; (status, body, type)."""
        email, _, rest = path.partition("/")
        email = unquote(email)
        rest = rest.rstrip("/")
        account = "computeMetadata/v1/instance/service-accounts/default"
        if "@" not in email:
            return 404, f"no service account in the metadata path ({email!r})", "text/plain"
        if rest == "":
            return 200, "", "text/plain"  # google-auth's ping: only the Metadata-Flavor counts
        if rest == account:
            info = {"email": email, "aliases": ["default"], "scopes": []}
            return 200, json.dumps(info), "application/json"
        if rest == f"{account}/email":
            return 200, email, "text/plain"
        if rest == f"{account}/identity":
            audience = (query.get("audience") or [""])[0]
            if not audience:
                return 400, "audience is required", "text/plain"
            return 200, self.push_token(audience, email), "text/plain"
        return 404, f"not served by the local metadata stand-in: {rest}", "text/plain"

    def relay_push(
        self, query: Mapping[str, list[str]], body: bytes, content_type: str
    ) -> tuple[int, bytes, str]:
        """Forward a Pub/Sub push to its endpoint with a token; (status, body, content type)."""
        endpoint = (query.get("endpoint") or [""])[0]
        audience = (query.get("audience") or [endpoint])[0]
        email = (query.get("email") or [""])[0]
        if not endpoint.startswith("http://") or not email:
            message = "push relay needs endpoint=<http URL> and email=<service account>"
            return 400, json.dumps({"error": message}).encode(), "application/json"
        try:
            answer = requests.post(
                endpoint,
                data=body,
                headers={
                    "Content-Type": content_type or "application/json",
                    "Authorization": f"Bearer {self.push_token(audience, email)}",
                },
                timeout=PUSH_RELAY_TIMEOUT,
            )
        except requests.RequestException as error:
            return 502, json.dumps({"error": str(error)}).encode(), "application/json"
        kind = answer.headers.get("Content-Type", "application/octet-stream")
        return answer.status_code, answer.content, kind

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        issuer = self
        root = f"/{self.project_id}"
        google = f"/{GOOGLE_ROOT}"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                sys.stderr.write(f"{self.address_string()} {format % args}\n")

            def _send(self, status: int, body: Mapping[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _metadata(self, path: str) -> None:
                if self.headers.get("Metadata-Flavor") != "Google":
                    status, text, kind = 403, "Metadata-Flavor: Google is required", "text/plain"
                else:
                    status, text, kind = issuer.metadata(path, parse_qs(urlsplit(self.path).query))
                data = text.encode()
                self.send_response(status)
                self.send_header("Metadata-Flavor", "Google")
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path.rstrip("/")
                if path.startswith(f"{google}/metadata/"):
                    self._metadata(path.removeprefix(f"{google}/metadata/"))
                elif path == "/health":
                    self._send(200, {"status": "ok", "issuer": issuer.issuer})
                elif path == f"{root}/.well-known/openid-configuration":
                    self._send(200, issuer.discovery())
                elif path == f"{google}/.well-known/openid-configuration":
                    self._send(200, issuer.discovery(issuer.google_issuer))
                elif path in (f"{root}/.well-known/jwks.json", f"{google}/.well-known/jwks.json"):
                    self._send(200, issuer.key.jwks())
                else:
                    self._send(404, {"error": "not_found", "error_description": path})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path.rstrip("/")
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if path == f"{google}/push":
                    status, answer, kind = issuer.relay_push(
                        parse_qs(urlsplit(self.path).query),
                        data,
                        self.headers.get("Content-Type") or "",
                    )
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                raw = data.decode("utf-8", errors="replace")
                if path != f"{root}/token":
                    self._send(404, {"error": "not_found", "error_description": path})
                    return
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if content_type != "application/x-www-form-urlencoded":
                    self._send(
                        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                        {
                            "error": "invalid_request",
                            "error_description": "send the token exchange form-encoded "
                            "(Content-Type: application/x-www-form-urlencoded)",
                        },
                    )
                    return
                status, body = issuer.exchange(parse_qs(raw))
                self._send(status, body)

        return Handler


class LocalIssuerClient:
    """What a client app (and a test) calls: exchange an Auth-emulator ID token for a signed one.

    Example:
        signed = LocalIssuerClient("http://127.0.0.1:9399/demo-x").exchange(user.id_token)
    """

    def __init__(self, issuer: str, session: requests.Session | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self._http = session or requests.Session()

    def exchange(self, id_token: str) -> str:
        """The RS256 token for ``id_token``; :class:`ExchangeRefusedError` with the reason."""
        response = self._http.post(
            f"{self.issuer}/token",
            data={
                "grant_type": GRANT_TYPE,
                "subject_token": id_token,
                "subject_token_type": ID_TOKEN_TYPE,
            },
            timeout=_HTTP_TIMEOUT,
        )
        body = response.json() if response.content else {}
        if response.status_code != 200:
            raise ExchangeRefusedError(
                f"the local issuer refused the token ({response.status_code} "
                f"{body.get('error')}): {body.get('error_description', response.text)}"
            )
        return str(body["access_token"])

    def discovery(self) -> dict[str, Any]:
        response = self._http.get(
            f"{self.issuer}/.well-known/openid-configuration", timeout=_HTTP_TIMEOUT
        )
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document


def health(base_url: str) -> bool:
    """Whether the issuer at ``base_url`` (``http://127.0.0.1:<port>``) answers."""
    return answers_ok(f"{base_url.rstrip('/')}/health")


def issuer_health(project_issuer: str) -> bool:
    """Whether the issuer of ``http://127.0.0.1:<port>/<project>`` answers (health is at its
    root, without the project)."""
    return health(_base_of(project_issuer))


def address(port: int) -> str:
    """The issuer's root, ``http://127.0.0.1:<port>`` (its issuer URL adds the project)."""
    return f"http://{LOOPBACK}:{port}"


def check_tools() -> None:
    """Nothing to locate: the issuer runs on this interpreter."""


def main(argv: list[str] | None = None) -> None:
    """The issuer's process: ``python -m hybridstack.emulators.runtime.local_issuer`` with
    ``--port P --project X --auth H --key F``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--auth", required=True, help="the Auth emulator's host:port")
    parser.add_argument("--key", type=Path, required=True, help="PEM file of the signing key")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS)
    options = parser.parse_args(argv)
    server = LocalIssuerServer(
        SigningKey.from_pem_file(options.key),
        project_id=options.project,
        auth_host=options.auth,
        port=options.port,
        ttl_seconds=options.ttl,
    )

    def stop(signum: int, frame: object) -> None:
        del signum, frame
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"local issuer {server.issuer} (Auth emulator {options.auth})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
