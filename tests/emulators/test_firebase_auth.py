"""Firebase Auth on its emulator: sign-up over REST as a client app would, and verification
of the ID token as a backend would (firebase-admin)."""

from __future__ import annotations

import pytest
from firebase_admin import auth as admin_auth

from hybridstack.emulators.runtime.clients import AuthEmulatorError


def test_sign_up_over_rest_gives_a_token_the_admin_sdk_verifies(auth, firebase_app):
    alice = auth.sign_up("alice@example.com", "alice-secret")

    claims = admin_auth.verify_id_token(alice.id_token, app=firebase_app)

    assert claims["uid"] == alice.uid
    assert claims["email"] == "alice@example.com"
    assert claims["firebase"]["sign_in_provider"] == "password"
    assert admin_auth.get_user(alice.uid, app=firebase_app).email == "alice@example.com"


def test_custom_claims_appear_in_the_next_token(auth, firebase_app):
    bob = auth.sign_up("bob@example.com", "bob-secret")
    admin_auth.set_custom_user_claims(bob.uid, {"role": "artist"}, app=firebase_app)

    again = auth.sign_in("bob@example.com", "bob-secret")

    assert admin_auth.verify_id_token(again.id_token, app=firebase_app)["role"] == "artist"


def test_wrong_password_is_refused(auth):
    auth.sign_up("carol@example.com", "carol-secret")

    with pytest.raises(AuthEmulatorError, match=r"INVALID_PASSWORD|INVALID_LOGIN_CREDENTIALS"):
        auth.sign_in("carol@example.com", "not-her-password")


def test_signing_up_twice_with_one_email_is_refused(auth):
    auth.sign_up("dave@example.com", "dave-secret")

    with pytest.raises(AuthEmulatorError, match="EMAIL_EXISTS"):
        auth.sign_up("dave@example.com", "other-secret")


def test_a_garbage_token_is_rejected(auth, firebase_app):
    with pytest.raises(admin_auth.InvalidIdTokenError):
        admin_auth.verify_id_token("not-a-jwt", app=firebase_app)
