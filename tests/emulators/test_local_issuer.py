"""The local issuer: Auth-emulator identities become RS256 tokens a JWT authorizer verifies, and
only genuine, live emulator identities are exchanged. The authorizer half runs in MiniStack
with the configuration the cloud uses (issuer + audience)."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests

from hybridstack.emulators.runtime.local_issuer import (
    ExchangeRefusedError,
    LocalIssuerClient,
    SigningKey,
    google_issuer,
    push_relay_url,
)
from tests.emulators.http_apis import new_http_api, route_to_function

pytestmark = pytest.mark.emulators("auth")


def _unsigned(claims: dict[str, Any]) -> str:
    """A token written by hand the way the emulator writes its own (``alg: none``)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_discovery_and_keys_are_served_on_loopback(cloud):
    issuer = str(cloud.issuer)
    assert issuer.startswith("http://127.0.0.1:")
    assert issuer.endswith(f"/{cloud.project_id}")

    document = LocalIssuerClient(issuer).discovery()
    keys = requests.get(document["jwks_uri"], timeout=10).json()["keys"]

    assert document["issuer"] == issuer
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [(key["kty"], key["alg"]) for key in keys] == [("RSA", "RS256")]


def test_an_emulator_user_is_reissued_signed_with_the_same_identity(auth, cloud):
    alice = auth.sign_up("alice@example.com", "alice-secret")

    signed = auth.signed_token(alice)

    jwks = jwt.PyJWKClient(f"{cloud.issuer}/.well-known/jwks.json")
    verified = jwt.decode(
        signed,
        jwks.get_signing_key_from_jwt(signed).key,
        algorithms=["RS256"],
        audience=cloud.project_id,
        issuer=cloud.issuer,
    )
    original = _claims(alice.id_token)
    for claim in ("sub", "user_id", "email", "email_verified", "auth_time", "firebase"):
        assert verified[claim] == original[claim], claim
    assert verified["sub"] == alice.uid
    assert verified["exp"] - verified["iat"] <= 600  # short-lived
    assert verified["exp"] <= original["exp"]


def test_an_anonymous_user_is_exchanged_too(auth):
    guest = auth.sign_up_anonymously()

    claims = _claims(auth.signed_token(guest))

    assert claims["sub"] == guest.uid
    assert claims["firebase"]["sign_in_provider"] == "anonymous"
    assert "email" not in claims


def test_custom_claims_are_carried_and_stale_ones_refused(auth):
    bob = auth.sign_up("bob@example.com", "bob-secret")
    auth.set_custom_claims(bob.uid, {"role": "admin", "org": "acme"})

    fresh = auth.sign_in_signed("bob@example.com", "bob-secret")

    assert _claims(fresh.id_token)["role"] == "admin"
    assert _claims(fresh.id_token)["org"] == "acme"
    with pytest.raises(ExchangeRefusedError, match="claim 'role'"):
        auth.signed_token(bob)  # minted before the claims changed: sign in again


def test_hand_forged_unsigned_tokens_are_not_exchanged(auth, cloud):
    victim = auth.sign_up("victim@example.com", "victim-secret")
    auth.sign_up("mallory@example.com", "mallory-secret")
    now = int(time.time())

    forgeries: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "made-up uid": lambda genuine: {**genuine, "sub": "nobody", "user_id": "nobody"},
        "escalated role": lambda genuine: {**genuine, "role": "admin"},
        "changed email": lambda genuine: {**genuine, "email": "victim@example.com"},
        "another user": lambda genuine: {
            **genuine,
            "sub": victim.uid,
            "user_id": victim.uid,
            "email": "victim@example.com",
            "firebase": {
                "identities": {"email": ["victim@example.com"]},
                "sign_in_provider": "password",
            },
            "auth_time": now + 5,
        },
        "other project": lambda genuine: {**genuine, "aud": "demo-other"},
        "other issuer": lambda genuine: {
            **genuine,
            "iss": "https://securetoken.google.com/demo-other",
        },
        "expired": lambda genuine: {**genuine, "iat": now - 7200, "exp": now - 3600},
    }
    refused = {}
    for name, forge in forgeries.items():
        # each from a sign-in of its own: a forgery burns the sign-in it copies
        genuine = _claims(auth.sign_in("mallory@example.com", "mallory-secret").id_token)
        with pytest.raises(ExchangeRefusedError) as caught:
            auth.signed_token(_unsigned(forge(genuine)))
        refused[name] = str(caught.value)

    assert "USER_NOT_FOUND" in refused["made-up uid"]
    assert "claim 'role'" in refused["escalated role"]
    assert "claim 'email'" in refused["changed email"]
    assert "claim 'auth_time'" in refused["another user"]
    assert "aud" in refused["other project"]
    assert "iss" in refused["other issuer"]
    assert "expired" in refused["expired"]
    issued = auth.sign_in_signed("mallory@example.com", "mallory-secret").id_token
    with pytest.raises(ExchangeRefusedError, match="not an Auth emulator token"):
        auth.signed_token(issued)  # an issued token is not re-exchanged
    with pytest.raises(ExchangeRefusedError, match="not a JWT"):
        auth.signed_token("garbage")


def _forged_like(genuine: dict[str, Any], **changes: Any) -> str:
    return _unsigned({**genuine, **changes})


def test_a_guessed_auth_time_gets_one_try_per_sign_in(auth):
    """The attack that worked: the victim's claims written by hand with ``auth_time`` guessed
    within +-15 s of the sign-in. Only the exact second matches, and the first wrong guess burns
    the sign-in, so even the exact second (tried last) is refused; the victim's own token too,
    until the victim signs in again."""
    victim = auth.sign_up("victim@example.com", "victim-secret")
    genuine = _claims(victim.id_token)
    guesses = [offset for offset in range(-15, 16) if offset != 0] + [0]

    answers = []
    for offset in guesses:
        with pytest.raises(ExchangeRefusedError) as caught:
            auth.signed_token(_forged_like(genuine, auth_time=genuine["auth_time"] + offset))
        answers.append(str(caught.value))

    assert "claim 'auth_time'" in answers[0]
    assert "sign in again" in answers[-1]  # the exact second: refused, the sign-in is burned
    with pytest.raises(ExchangeRefusedError, match="sign in again"):
        auth.signed_token(victim)
    again = auth.sign_in("victim@example.com", "victim-secret")
    assert _claims(auth.signed_token(again))["sub"] == victim.uid


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"iat": "later"}, "iat"),
        ({"exp": "longer"}, "exp"),
        ({"provider_id": "anonymous"}, "claim 'provider_id'"),
        ({"firebase": {"identities": {}, "sign_in_provider": "password"}}, "claim 'firebase'"),
        ({"firebase": {"identities": {"email": ["x@example.com"]},
                       "sign_in_provider": "google.com"}}, "sign_in_provider"),
        ({"email_verified": True}, "claim 'email_verified'"),
        ({"name": "Mallory"}, "claim 'name'"),
    ],
)  # fmt: skip
def test_every_claim_must_be_the_sessions(auth, change, named):
    user = auth.sign_up("someone@example.com", "someone-secret")
    genuine = _claims(user.id_token)
    if change.get("iat") == "later":
        change = {"iat": genuine["iat"] + 120, "exp": genuine["exp"] + 120}
    elif change.get("exp") == "longer":
        change = {"exp": genuine["exp"] + 3600}

    with pytest.raises(ExchangeRefusedError, match=named):
        auth.signed_token(_forged_like(genuine, **change))


def test_a_refreshed_token_of_the_same_sign_in_is_exchanged(auth):
    user = auth.sign_up("refresh@example.com", "refresh-secret")
    first = auth.signed_token(user)
    refreshed = auth._call(
        "POST",
        "securetoken.googleapis.com/v1/token",
        params={"key": "fake-api-key"},
        json={"grant_type": "refresh_token", "refresh_token": user.refresh_token},
    )["id_token"]

    second = auth.signed_token(refreshed)
    older = auth.signed_token(user)  # an earlier token of the same sign-in, still live

    assert _claims(first)["sub"] == _claims(second)["sub"] == _claims(older)["sub"] == user.uid
    assert _claims(second)["auth_time"] == _claims(first)["auth_time"]


def test_a_disabled_account_is_not_exchanged(auth):
    carol = auth.sign_up("carol@example.com", "carol-secret")
    auth._call(
        "POST",
        f"identitytoolkit.googleapis.com/v1/projects/{auth.project_id}/accounts:update",
        admin=True,
        json={"localId": carol.uid, "disableUser": True},
    )

    with pytest.raises(ExchangeRefusedError, match="USER_DISABLED"):
        auth.signed_token(carol)


def test_the_exchange_names_a_malformed_request(cloud):
    token_url = f"{cloud.issuer}/token"

    wrong_grant = requests.post(token_url, data={"grant_type": "password"}, timeout=10)
    no_token = requests.post(
        token_url, data={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"}
    )
    as_json = requests.post(token_url, json={"subject_token": "x"}, timeout=10)

    assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert no_token.status_code == 400
    assert "subject_token" in no_token.json()["error_description"]
    assert as_json.status_code == 415
    assert "form-encoded" in as_json.json()["error_description"]


# --- the authorizer: MiniStack's JWT authorizer configured as API Gateway is in the cloud ------

ECHO_CLAIMS = """
import json


def handler(event, context):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    body = {"sub": claims["sub"], "email": claims.get("email")}
    return {"statusCode": 200, "body": json.dumps(body)}
"""


def _protected_api(
    lambda_client: Any, apigatewayv2: Any, aws: str, issuer: str, audience: str | None, route: str
) -> str:
    """``route`` behind a JWT authorizer trusting ``issuer`` for ``audience`` (default: the
    route's own URL, as a push endpoint's audience is); returns the route's URL."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", ECHO_CLAIMS)
    function_arn = lambda_client.create_function(
        FunctionName="whoami",
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/whoami",
        Handler="echo.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    lambda_client.get_waiter("function_active_v2").wait(
        FunctionName="whoami", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    api_id, api_url = new_http_api(apigatewayv2, aws, "whoami")
    url = api_url + route.split(" ", 1)[1]
    authorizer_id = apigatewayv2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": [audience or url]},
    )["AuthorizerId"]
    route_to_function(
        apigatewayv2,
        api_id,
        route,
        function_arn,
        AuthorizationType="JWT",
        AuthorizerId=authorizer_id,
    )
    return url


@pytest.fixture
def protected_url(lambda_client, apigatewayv2, cloud) -> str:
    """``GET /whoami`` behind the authorizer the cloud uses: issuer + audience (the project)."""
    issuer, project = str(cloud.issuer), cloud.project_id
    return _protected_api(lambda_client, apigatewayv2, cloud.aws, issuer, project, "GET /whoami")


@pytest.mark.emulators("aws", "auth")
def test_the_authorizer_accepts_the_signed_identity_and_nothing_else(
    auth, cloud, local_cloud, protected_url
):
    alice = auth.sign_up_signed("alice@example.com", "alice-secret")
    unsigned = auth.sign_in("alice@example.com", "alice-secret").id_token
    claims = _claims(alice.id_token)
    issuer_key = SigningKey.from_pem_file(local_cloud.issuer_key_path)
    now = int(time.time())
    # the issuer's own key id, another key: what a forger without the key can produce
    forger = SigningKey.generate()
    forger.kid = issuer_key.kid

    def call(token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return requests.get(protected_url, headers=headers, timeout=60)

    accepted = call(alice.id_token)
    refused = {
        "no token": call(None),
        "garbage": call("not-a-jwt"),
        "unsigned emulator token": call(unsigned),
        "forged signature": call(forger.sign(claims)),
        "expired": call(issuer_key.sign({**claims, "iat": now - 700, "exp": now - 100})),
        "wrong audience": call(issuer_key.sign({**claims, "aud": "demo-other"})),
        "wrong issuer": call(
            issuer_key.sign({**claims, "iss": "https://securetoken.google.com/demo-hybridstack"})
        ),
    }

    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"sub": alice.uid, "email": "alice@example.com"}
    assert {name: response.status_code for name, response in refused.items()} == {
        name: 401 for name in refused
    }


@pytest.mark.emulators("aws", "auth")
def test_a_push_relayed_through_the_issuer_carries_a_google_style_token(
    lambda_client, apigatewayv2, cloud
):
    google = google_issuer(str(cloud.issuer))
    # as MediaStore declares it: the push endpoint is the audience
    endpoint = _protected_api(lambda_client, apigatewayv2, cloud.aws, google, None, "POST /push")
    account = "push@demo-hybridstack.iam.gserviceaccount.com"
    push = {"message": {"attributes": {"eventType": "OBJECT_FINALIZE"}}, "subscription": "s"}

    relayed = requests.post(
        push_relay_url(str(cloud.issuer), endpoint, endpoint, account), json=push, timeout=90
    )
    tokenless = requests.post(endpoint, json=push, timeout=60)
    other_audience = requests.post(
        push_relay_url(str(cloud.issuer), endpoint, "https://elsewhere", account),
        json=push,
        timeout=60,
    )

    assert relayed.status_code == 200, relayed.text
    assert relayed.json()["email"] == account
    assert tokenless.status_code == 401
    assert other_audience.status_code == 401
