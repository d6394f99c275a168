"""Identity: sign-in config, IdPs, blocking hooks, and the JWT settings HttpApi trusts."""

from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.identity import CLAIM_NAMES, Identity
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig, resolve_authorizer
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks

CONFIG = "gcp:identityplatform/config:Config"


def test_defaults_email_password_only_and_firebase_trust() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        identity = Identity("auth", {"project": "acme"})
        config = resolve_authorizer(identity)
        assert isinstance(config, JwtAuthorizerConfig)
        seen["name"] = config.name
        config.issuer.apply(lambda v: seen.setdefault("issuer", v))  # type: ignore[union-attr]
        config.audience[0].apply(lambda v: seen.setdefault("audience", v))  # type: ignore[union-attr]

    resources = run_under_mocks(program, stack="dev")
    (config,) = of_type(resources, CONFIG)
    sign_in = config.inputs["signIn"]
    assert sign_in["email"] == {"enabled": True, "passwordRequired": True}
    assert sign_in["anonymous"] == {"enabled": False}
    assert sign_in["phoneNumber"] == {"enabled": False}
    assert sign_in["allowDuplicateEmails"] is False
    assert config.inputs["authorizedDomains"] == [
        "localhost", "acme.firebaseapp.com", "acme.web.app",
    ]  # fmt: skip
    assert "blockingFunctions" not in config.inputs
    assert seen == {
        "name": "firebase",
        "issuer": "https://securetoken.google.com/acme",
        "audience": "acme",
    }
    assert not of_type(
        resources, "gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig"
    )


def test_prod_drops_localhost_and_refuses_it() -> None:
    resources = run_under_mocks(
        lambda: Identity("auth", {"project": "acme", "authorized_domains": ["app.acme.com"]}),
        stack="prod",
    )
    (config,) = of_type(resources, CONFIG)
    assert config.inputs["authorizedDomains"] == [
        "acme.firebaseapp.com", "acme.web.app", "app.acme.com",
    ]  # fmt: skip
    with pytest.raises(ComponentArgsError, match="'localhost' on a production stack"):
        run_under_mocks(
            lambda: Identity("auth", {"project": "acme", "authorized_domains": ["localhost"]}),
            stack="prod",
        )


def test_providers_hooks_and_anonymous() -> None:
    resources = run_under_mocks(
        lambda: Identity(
            "auth",
            {
                "project": "acme",
                "anonymous": True,
                "phone": True,
                "test_phone_numbers": {"+15555550100": "123456"},
                "oauth_providers": {"google.com": {"client_id": "cid", "client_secret": "shh"}},
                "blocking_functions": {
                    "beforeSignIn": "https://us-central1-acme.cloudfunctions.net/beforeSignIn",
                    "beforeCreate": "https://us-central1-acme.cloudfunctions.net/beforeCreate",
                },
            },
        )
    )
    (config,) = of_type(resources, CONFIG)
    assert config.inputs["signIn"]["anonymous"] == {"enabled": True}
    assert config.inputs["autodeleteAnonymousUsers"] is True
    assert config.inputs["signIn"]["phoneNumber"]["testPhoneNumbers"] == {"+15555550100": "123456"}
    triggers = config.inputs["blockingFunctions"]["triggers"]
    assert [t["eventType"] for t in triggers] == ["beforeCreate", "beforeSignIn"]
    assert triggers[0]["functionUri"].endswith("/beforeCreate")
    (idp,) = of_type(
        resources, "gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig"
    )
    assert (idp.inputs["idpId"], idp.inputs["clientId"], idp.inputs["enabled"]) == (
        "google.com", "cid", True,
    )  # fmt: skip


def test_local_issuer_override() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        identity = Identity(
            "auth", {"project": "demo-acme", "issuer": "http://127.0.0.1:9399/demo-acme"}
        )
        identity.jwt_authorizer().issuer.apply(lambda v: seen.setdefault("issuer", v))  # type: ignore[union-attr]

    run_under_mocks(program, stack="local")
    assert seen["issuer"] == "http://127.0.0.1:9399/demo-acme"


def test_claim_names_are_documented() -> None:
    assert set(CLAIM_NAMES) >= {"role"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email_password": False}, "no sign-in method is enabled"),
        ({"oauth_providers": {"okta.com": {"client_id": "a", "client_secret": "b"}}}, "okta.com"),
        (
            {"oauth_providers": {"google.com": {"client_id": "a"}}},
            "needs client_id and client_secret",
        ),
        ({"authorized_domains": ["https://app.acme.com"]}, "not a domain name"),
        ({"blocking_functions": {"afterCreate": "https://x"}}, "afterCreate"),
        ({"blocking_functions": {"beforeCreate": "http://x"}}, "must be an https:// URI"),
        ({"test_phone_numbers": {"+15555550100": "123456"}}, "needs phone=True"),
        ({"phone": True, "test_phone_numbers": {"555": "1"}}, "E.164"),
        ({"issuer": "securetoken"}, "must be a URL"),
        ({"providers": []}, "unknown argument 'providers'"),
    ],
)
def test_invalid_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: Identity("auth", {"project": "acme", **kwargs}), mocks=mocks)
    assert mocks.resources == []


def test_test_phone_numbers_refused_in_prod() -> None:
    with pytest.raises(ComponentArgsError, match="refused on production"):
        run_under_mocks(
            lambda: Identity(
                "auth",
                {
                    "project": "acme",
                    "phone": True,
                    "test_phone_numbers": {"+15555550100": "123456"},
                },
            ),
            stack="prod",
        )


def test_transform_reaches_the_config() -> None:
    resources = run_under_mocks(
        lambda: Identity(
            "auth",
            {"project": "acme"},
            transform={"config": lambda a: {**a, "mfa": {"state": "ENABLED"}}},
        )
    )
    (config,) = of_type(resources, CONFIG)
    assert config.inputs["mfa"] == {"state": "ENABLED"}
