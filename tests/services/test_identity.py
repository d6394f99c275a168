"""Identity against the local cloud: user records from registration or lazily, profiles, roles
as custom claims (Auth emulator), and the guard keeping emulator trust local. The record flows
run once per records database (``records``: DynamoDB, and PostgreSQL on a local Aurora cluster
through the Data API)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from firebase_admin import auth as firebase_auth

from hybridstack.services.common.emulation import (
    UnsafeEmulatorSettingError,
    check_auth_emulator_is_local,
)
from hybridstack.services.identity import api, missed_registrations
from hybridstack.services.identity.registration import (
    REGISTRATION_BUDGET_SECONDS,
    on_user_created,
    register_with_aws,
)
from hybridstack.services.identity.users import (
    CreatedBy,
    NewUser,
    UserNotFoundError,
    user_store,
)
from tests.services.conftest import RecordsDatabase, http_event, response_json

REGISTRATION_SA = "registration@demo-hybridstack.iam.gserviceaccount.com"
GOOGLE = "https://accounts.google.com"


def verified_claims(token: str, firebase_app: Any) -> dict[str, Any]:
    """What the API's JWT authorizer passes on for a token: its verified claims."""
    claims: dict[str, Any] = firebase_auth.verify_id_token(token, app=firebase_app)
    return claims


def test_first_authenticated_call_creates_the_record_lazily_once(
    records: RecordsDatabase, auth: Any, firebase_app: Any, context: Any
) -> None:
    alice = auth.sign_up("alice@example.com", "alice-secret")
    claims = verified_claims(alice.id_token, firebase_app)
    assert records.user_rows(alice.uid) == []

    first = api.handle(http_event("GET", "/users/me", claims=claims), context)
    assert first["statusCode"] == 200, first["body"]
    body = response_json(first)
    assert body["uid"] == alice.uid
    assert body["email"] == "alice@example.com"
    assert body["created_by"] == "lazy"
    assert (body["role"], body["storage_used_bytes"]) == ("user", 0)
    assert [row["email"] for row in records.user_rows(alice.uid)] == ["alice@example.com"]

    again = response_json(api.handle(http_event("GET", "/users/me", claims=claims), context))
    assert again == body
    assert len(records.user_rows(alice.uid)) == 1


def test_registration_from_the_blocking_function_creates_the_record(
    records: RecordsDatabase, monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("REGISTRATION_GOOGLE_CALLER", REGISTRATION_SA)
    service_claims = {"sub": "1089", "email": REGISTRATION_SA, "iss": GOOGLE, "aud": "api"}
    sent: list[dict[str, Any]] = []

    def api_gateway(url: str, *, json: Any, headers: dict[str, str], timeout: float) -> Any:
        """The HTTP API in front of the Lambda: the authorizer verified the Google token."""
        assert url == "https://api.example.com/internal/users"
        assert headers["Authorization"] == "Bearer google-signed-token"
        sent.append(json)
        event = http_event("POST", "/internal/users", claims=service_claims, body=json)
        result = api.handle(event, context)
        return type("R", (), {"status_code": result["statusCode"], "text": result["body"]})

    # What Identity Platform hands the beforeCreate blocking function.
    event = SimpleNamespace(
        data=SimpleNamespace(uid="u-reg-1", email="reg@example.com", display_name="Reg")
    )
    audiences: list[str] = []

    def metadata_server(audience: str) -> str:
        audiences.append(audience)
        return "google-signed-token"

    assert on_user_created(event, api_url="https://api.example.com",
                           token_source=metadata_server, post=api_gateway)  # fmt: skip
    assert audiences == ["https://api.example.com/internal/users"]  # the route's audience
    assert sent == [{"uid": "u-reg-1", "email": "reg@example.com", "display_name": "Reg"}]

    me = api.handle(
        http_event("GET", "/users/me", claims={"sub": "u-reg-1", "email": "reg@example.com"}),
        context,
    )
    assert response_json(me)["created_by"] == "registration"
    assert response_json(me)["display_name"] == "Reg"

    # A second delivery (the blocking function retried) changes nothing.
    repeat = api.handle(
        http_event("POST", "/internal/users", claims=service_claims, body=sent[0]), context
    )
    assert repeat["statusCode"] == 200
    assert response_json(repeat) == response_json(me)
    assert [row["created_by"] for row in records.user_rows("u-reg-1")] == ["registration"]


def test_registration_with_a_malformed_body_is_refused_with_the_reason(
    records: RecordsDatabase, monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("REGISTRATION_GOOGLE_CALLER", REGISTRATION_SA)
    service_claims = {"sub": "1089", "email": REGISTRATION_SA, "iss": GOOGLE}
    malformed = api.handle(
        http_event("POST", "/internal/users", claims=service_claims, body='{"uid": "u-bad"'),
        context,
    )
    assert malformed["statusCode"] == 400
    assert "malformed JSON body" in response_json(malformed)["message"]
    no_uid = api.handle(
        http_event("POST", "/internal/users", claims=service_claims, body={"uid": ""}), context
    )
    assert no_uid["statusCode"] == 422
    assert "uid: String should have at least 1 character" in response_json(no_uid)["message"]
    assert records.user_rows("u-bad") == []


def test_racing_creators_leave_one_record(records: RecordsDatabase) -> None:
    """The registration call and a lazy creation (or two retries) at the same moment."""

    def create(index: int) -> tuple[str, bool]:
        source: CreatedBy = "registration" if index % 2 else "lazy"
        record, created = user_store().create_if_absent(
            NewUser(uid="u-race", email="race@example.com"), source=source
        )
        return record.created_at, created

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(create, range(6)))

    assert sum(created for _, created in outcomes) == 1
    assert len({created_at for created_at, _ in outcomes}) == 1  # all see the winner's record
    assert len(records.user_rows("u-race")) == 1


def test_storage_is_counted_atomically_and_only_for_existing_users(
    records: RecordsDatabase,
) -> None:
    user_store().create_if_absent(NewUser(uid="u-bytes"), source="lazy")

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(lambda size: user_store().add_storage("u-bytes", size), [100] * 5))

    assert user_store().add_storage("u-bytes", 1).storage_used_bytes == 501
    assert int(records.user_rows("u-bytes")[0]["storage_used_bytes"]) == 501
    with pytest.raises(UserNotFoundError, match="no user record for uid 'nobody'"):
        user_store().add_storage("nobody", 10)
    assert records.user_rows("nobody") == []


def test_registration_refuses_any_other_google_identity(
    records: RecordsDatabase, monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("REGISTRATION_GOOGLE_CALLER", REGISTRATION_SA)
    intruder = {"sub": "7", "email": "someone@gmail.com", "iss": GOOGLE}
    response = api.handle(
        http_event("POST", "/internal/users", claims=intruder, body={"uid": "x1"}), context
    )
    assert response["statusCode"] == 403
    assert f"only {REGISTRATION_SA} may register users" in response_json(response)["message"]
    assert records.user_rows("x1") == []


def test_the_local_google_stand_in_is_trusted_on_the_local_stack_only(
    records: RecordsDatabase, monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("REGISTRATION_GOOGLE_CALLER", REGISTRATION_SA)
    monkeypatch.setenv("HYBRIDSTACK_TOKEN_ISSUER", "http://127.0.0.1:9399/demo-hybridstack")
    local_google = {"sub": "1", "email": REGISTRATION_SA, "iss": "http://127.0.0.1:9399/google"}

    monkeypatch.setenv("HYBRIDSTACK_ENV", "prod")
    refused = api.handle(
        http_event("POST", "/internal/users", claims=local_google, body={"uid": "s1"}), context
    )
    monkeypatch.setenv("HYBRIDSTACK_ENV", "local")
    accepted = api.handle(
        http_event("POST", "/internal/users", claims=local_google, body={"uid": "s1"}), context
    )

    assert refused["statusCode"] == 403
    assert accepted["statusCode"] == 201, accepted["body"]
    assert len(records.user_rows("s1")) == 1


class FakeClock:
    """Time that passes only when the code under test sleeps (or a call takes ``cost``)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def _logged_errors(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The error records logged so far (with their structured fields), then forgotten."""
    errors = [vars(record) for record in caplog.records if record.levelname == "ERROR"]
    caplog.clear()
    return errors


def test_registration_failure_never_blocks_the_sign_up_and_names_the_uid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        clock.now += 1.0  # each attempt waits for its connection to fail
        raise ConnectionError("api down")

    assert not register_with_aws(
        NewUser(uid="u2"),
        api_url="https://api.example.com",
        token="t",
        post=unreachable,
        clock=clock,
        sleep=clock.sleep,
    )
    assert clock.now <= REGISTRATION_BUDGET_SECONDS  # within the blocking function's time
    assert len(clock.pauses) >= 2  # retried, backing off
    assert clock.pauses == sorted(clock.pauses)
    [error] = _logged_errors(caplog)
    assert error["uid"] == "u2"
    assert "ConnectionError: api down" in error["reason"]
    assert error["attempts"] == len(clock.pauses) + 1

    def no_metadata_server(audience: str) -> str:
        raise OSError("metadata server unreachable")

    event = SimpleNamespace(data=SimpleNamespace(uid="u3", email=None, display_name=None))
    assert not on_user_created(event, api_url="https://api.example.com",
                               token_source=no_metadata_server, post=unreachable)  # fmt: skip
    [error] = _logged_errors(caplog)
    assert error["uid"] == "u3"
    assert "metadata server unreachable" in error["reason"]


def _answers(*statuses: int) -> tuple[list[int], Any]:
    sent: list[int] = []
    remaining = list(statuses)

    def post(*args: Any, **kwargs: Any) -> Any:
        status = remaining.pop(0)
        sent.append(status)
        return SimpleNamespace(status_code=status, text=f"status {status}")

    return sent, post


@pytest.mark.parametrize("passing", [429, 500, 502, 503])
def test_registration_retries_what_may_pass(passing: int) -> None:
    """E.g. the API's function still starting: the second attempt registers the user."""
    clock = FakeClock()
    sent, post = _answers(passing, 201)

    registered = register_with_aws(
        NewUser(uid="u4"), api_url="https://api.example.com", token="t", post=post,
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip

    assert registered
    assert sent == [passing, 201]


@pytest.mark.parametrize("refusal", [400, 401, 403, 422])
def test_a_refused_registration_is_not_retried_and_is_logged(
    refusal: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    sent, post = _answers(refusal, 201)

    registered = register_with_aws(
        NewUser(uid="u5"), api_url="https://api.example.com", token="t", post=post,
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip

    assert not registered
    assert sent == [refusal]
    [error] = _logged_errors(caplog)
    assert error["uid"] == "u5"
    assert error["reason"].startswith(f"HTTP {refusal}")


def test_a_lazily_created_record_is_counted_as_a_missed_registration(
    records: RecordsDatabase, context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = {"sub": "u-missed-1", "email": "missed@example.com"}

    first = api.handle(http_event("GET", "/users/me", claims=claims), context)
    again = api.handle(http_event("GET", "/users/me", claims=claims), context)

    assert response_json(first)["created_by"] == "lazy"
    assert response_json(again)["created_by"] == "lazy"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "{" in line[:1]]
    metrics = [line for line in lines if "_aws" in line]
    assert len(metrics) == 1  # counted once, when created, not on every call
    [metric] = metrics
    assert metric[missed_registrations.METRIC] == [1.0]
    assert metric["uid"] == "u-missed-1"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == missed_registrations.NAMESPACE


def test_profile_update_and_its_bad_inputs(
    records: RecordsDatabase, auth: Any, firebase_app: Any, context: Any
) -> None:
    bob = auth.sign_up("bob@example.com", "bob-secret")
    claims = verified_claims(bob.id_token, firebase_app)

    def patch(body: Any, content_type: str | None = "application/json") -> dict[str, Any]:
        event = http_event("PATCH", "/users/me", claims=claims, body=body,
                           content_type=content_type)  # fmt: skip
        return api.handle(event, context)

    malformed = patch('{"display_name": "Bob"')
    assert malformed["statusCode"] == 400
    assert "malformed JSON body" in response_json(malformed)["message"]

    wrong_type = patch("display_name=Bob", content_type="application/x-www-form-urlencoded")
    assert wrong_type["statusCode"] == 415
    assert "Content-Type: application/json" in response_json(wrong_type)["message"]

    unknown = patch({"display_name": "Bob", "role": "admin"})
    assert unknown["statusCode"] == 422
    assert "role: Extra inputs are not permitted" in response_json(unknown)["message"]

    too_long = patch({"bio": "x" * 501})
    assert too_long["statusCode"] == 422
    assert "bio:" in response_json(too_long)["message"]

    empty = patch({})
    assert empty["statusCode"] == 400
    assert "nothing to update" in response_json(empty)["message"]

    ok = patch({"display_name": "Bob B.", "bio": "plays bass"})
    assert ok["statusCode"] == 200
    assert response_json(ok)["display_name"] == "Bob B."
    me = response_json(api.handle(http_event("GET", "/users/me", claims=claims), context))
    assert (me["display_name"], me["bio"]) == ("Bob B.", "plays bass")
    [row] = records.user_rows(bob.uid)
    assert (row["display_name"], row["bio"]) == ("Bob B.", "plays bass")

    only_bio = patch({"bio": "sings"})
    assert (response_json(only_bio)["display_name"], response_json(only_bio)["bio"]) == (
        "Bob B.",
        "sings",
    )


def test_no_verified_identity_is_401(platform: dict[str, str], context: Any) -> None:
    response = api.handle(http_event("GET", "/users/me"), context)
    assert response["statusCode"] == 401


def test_an_admin_sets_roles_as_custom_claims(
    records: RecordsDatabase, auth: Any, firebase_app: Any, context: Any
) -> None:
    admin = auth.sign_up("admin@example.com", "admin-secret")
    carol = auth.sign_up("carol@example.com", "carol-secret")
    firebase_auth.set_custom_user_claims(admin.uid, {"role": "admin"}, app=firebase_app)
    admin_claims = verified_claims(auth.sign_in("admin@example.com", "admin-secret").id_token,
                                   firebase_app)  # fmt: skip
    carol_claims = verified_claims(carol.id_token, firebase_app)
    api.handle(http_event("GET", "/users/me", claims=carol_claims), context)  # lazy record

    def put_role(claims: dict[str, Any], uid: str, body: Any) -> dict[str, Any]:
        return api.handle(http_event("PUT", f"/users/{uid}/role", claims=claims, body=body,
                                     route="PUT /users/{uid}/role"), context)  # fmt: skip

    by_carol = put_role(carol_claims, carol.uid, {"role": "admin"})
    assert by_carol["statusCode"] == 403
    assert "only an admin may change roles" in response_json(by_carol)["message"]

    bad_role = put_role(admin_claims, carol.uid, {"role": "owner"})
    assert bad_role["statusCode"] == 422
    assert "role:" in response_json(bad_role)["message"]

    unknown = put_role(admin_claims, "no-such-user", {"role": "editor"})
    assert unknown["statusCode"] == 404
    assert "no user with uid 'no-such-user'" in response_json(unknown)["message"]

    # An Auth account without a user record yet: refused, and its claims stay as they were.
    dave = auth.sign_up("dave@example.com", "dave-secret")
    assert put_role(admin_claims, dave.uid, {"role": "editor"})["statusCode"] == 404
    assert records.user_rows(dave.uid) == []
    assert "role" not in (firebase_auth.get_user(dave.uid, app=firebase_app).custom_claims or {})

    granted = put_role(admin_claims, carol.uid, {"role": "editor"})
    assert granted["statusCode"] == 200, granted["body"]
    assert response_json(granted)["role"] == "editor"
    assert records.user_rows(carol.uid)[0]["role"] == "editor"
    refreshed = auth.sign_in("carol@example.com", "carol-secret")
    assert verified_claims(refreshed.id_token, firebase_app)["role"] == "editor"


LOCAL = {"HYBRIDSTACK_ENV": "local"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FIREBASE_AUTH_EMULATOR_HOST": "10.0.0.5:9099", **LOCAL}, "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "host.docker.internal:9099", **LOCAL},
         "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "host.docker:9099", **LOCAL}, "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "localhost.example.com:9099", **LOCAL},
         "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1.nip.io:9099", **LOCAL},
         "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "[::ffff:10.0.0.5]:9099", **LOCAL},
         "not a loopback address"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "while HYBRIDSTACK_ENV is not set"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "HYBRIDSTACK_ENV": ""},
         "while HYBRIDSTACK_ENV is not set"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "HYBRIDSTACK_ENV": "prod"},
         "on the 'prod' stack"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "HYBRIDSTACK_ENV": "Local"},
         "on the 'Local' stack"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "AWS_LAMBDA_FUNCTION_NAME": "api",
          **LOCAL}, "runs on real AWS"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099", "AWS_LAMBDA_FUNCTION_NAME": "api",
          "AWS_ENDPOINT_URL": "http://host.docker.internal:4566", **LOCAL}, "runs on real AWS"),
    ],
)  # fmt: skip
def test_the_auth_emulator_is_refused_outside_a_local_stack(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(UnsafeEmulatorSettingError, match=message):
        check_auth_emulator_is_local(env)


@pytest.mark.parametrize("host", ["127.0.0.1:9099", "127.0.0.2:9099", "localhost:9099",
                                  "[::1]:9099", "http://127.0.0.1:9099"])  # fmt: skip
def test_the_auth_emulator_is_accepted_on_the_local_stack_on_loopback(host: str) -> None:
    check_auth_emulator_is_local({"FIREBASE_AUTH_EMULATOR_HOST": host, **LOCAL})
    check_auth_emulator_is_local(
        {"FIREBASE_AUTH_EMULATOR_HOST": host, "AWS_LAMBDA_FUNCTION_NAME": "api",
         "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", **LOCAL}
    )  # fmt: skip


def test_a_display_name_the_api_refuses_is_left_out_of_the_registration_not_the_sign_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[dict[str, Any]] = []
    _statuses, post = _answers(201)

    def recording(*args: Any, json: dict[str, Any], **kwargs: Any) -> Any:
        sent.append(json)
        return post(*args, json=json, **kwargs)

    event = SimpleNamespace(
        data=SimpleNamespace(uid="u6", email="rlo@example.com", display_name="Eve\u202egnp.exe")
    )
    assert on_user_created(event, api_url="https://api.example.com",
                           token_source=lambda audience: "t", post=recording)  # fmt: skip
    assert sent == [{"uid": "u6", "email": "rlo@example.com"}]

    unusable = SimpleNamespace(data=SimpleNamespace(uid="u7\nx", email=None, display_name=None))
    assert not on_user_created(unusable, api_url="https://api.example.com",
                               token_source=lambda audience: "t", post=recording)  # fmt: skip
    [error] = _logged_errors(caplog)
    assert error["uid"] == "u7\nx"
    assert "not a valid new user" in error["reason"]
