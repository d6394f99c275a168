"""Identity through the deployed API: sign-up, the user's record, and every token the API's JWT
authorizer must refuse (the configuration the cloud uses: issuer + audience)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt

from hybridstack.emulators.runtime.local_issuer import SigningKey


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_sign_up_then_the_first_call_has_a_user_record(api, new_user, aws, stack):
    """The app's first call finds the user's record (made at sign-up by the ``beforeCreate``
    blocking function, see test_registration_blocking_function; lazily here otherwise)."""
    alice = new_user("alice")

    me = api.call("GET", "users/me", alice)

    assert me.status_code == 200, me.text
    assert me.json()["uid"] == alice.uid
    assert me.json()["email"] == alice.email
    item = aws("dynamodb").get_item(
        TableName=stack.outputs["tableName"],
        Key={"PK": {"S": f"USER#{alice.uid}"}, "SK": {"S": "PROFILE"}},
    )
    assert item["Item"]["email"]["S"] == alice.email


def test_a_profile_change_is_kept(api, new_user):
    bob = new_user("bob")

    changed = api.call("PATCH", "users/me", bob, json={"display_name": "Bob B."})
    again = api.call("GET", "users/me", bob)

    assert changed.status_code == 200, changed.text
    assert again.json()["display_name"] == "Bob B."


def test_the_public_health_route_needs_no_token(api):
    response = api.call("GET", "health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_authorizer_refuses_every_token_it_cannot_trust(api, auth, new_user, stack):
    carol = new_user("carol")
    claims = _claims(carol.id_token)
    issuer_key = SigningKey.from_pem_file(stack.cloud.issuer_key_path)
    forger = SigningKey.generate()
    forger.kid = issuer_key.kid  # the issuer's key id, someone else's key
    now = int(time.time())
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    tokens = {
        "no token": None,
        "bad token": "not.a.token",
        "unsigned (the Auth emulator's own)": auth.sign_in(
            str(carol.email), "carol-secret-pw"
        ).id_token,
        "unsigned, hand-made": f"{header}.{body}.",
        "forged signature": forger.sign(claims),
        "expired": issuer_key.sign({**claims, "iat": now - 900, "exp": now - 60}),
        "wrong audience": issuer_key.sign({**claims, "aud": "demo-someone-else"}),
        "wrong issuer": issuer_key.sign(
            {**claims, "iss": "https://securetoken.google.com/demo-hybridstack"}
        ),
    }
    statuses = {
        name: api.call("GET", "users/me", token=token).status_code for name, token in tokens.items()
    }

    assert statuses == dict.fromkeys(tokens, 401)
    assert api.call("GET", "users/me", carol).status_code == 200  # the genuine one passes


def test_a_role_set_by_an_admin_reaches_the_next_token(api, auth, new_user):
    admin = new_user("admin")
    dave = new_user("dave")
    for someone in (admin, dave):  # first launch of the app: the records exist
        assert api.call("GET", "users/me", someone).status_code == 200
    auth.set_custom_claims(admin.uid, {"role": "admin"})
    admin = auth.sign_in_signed(str(admin.email), "admin-secret-pw")

    refused = api.call("PUT", f"users/{admin.uid}/role", dave, json={"role": "admin"})
    granted = api.call("PUT", f"users/{dave.uid}/role", admin, json={"role": "editor"})
    dave_again = auth.sign_in_signed(str(dave.email), "dave-secret-pw")

    assert refused.status_code == 403, refused.text
    assert granted.status_code in (200, 204), granted.text
    assert _claims(dave_again.id_token)["role"] == "editor"
    assert api.call("GET", "users/me", dave_again).json()["role"] == "editor"
