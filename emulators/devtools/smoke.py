"""The smoke journey ``hybridstack up`` runs after deploying: a user's first minute, for real.

Each step goes through a real client path (HTTP to the deployed API, the Auth emulator's REST
API, the local issuer's token exchange) and yields a line of the report:

1. ``GET /health`` answers 200 ``{"status": "ok"}`` (public route);
2. a user signs up through the Auth emulator; the API refuses its unsigned emulator token (401),
   as API Gateway's JWT authorizer would;
3. the same identity signed by the local issuer is accepted: ``GET /me`` answers with its uid.

Steps are plain functions ``step(journey) -> detail`` (raise to fail), so callers can add theirs.

The journey is the reference platform's: ``hybridstack up`` runs it only where it applies
(:func:`journey_applies`: the stack exports ``apiUrl`` and routes ``GET /health`` and ``GET /me``,
and the Auth emulator runs); ``--smoke``/``--no-smoke`` force it on or off. Another project's
journey is its own tests against the deployed stack (``hybridstack outputs --json``).

Example:
    report = run_smoke_journey(endpoints, result.outputs)
    print(report.passed, [(s.name, s.ok, s.detail) for s in report.steps])
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

if TYPE_CHECKING:
    from hybridstack.emulators.deploy.engine import DeployResult

HTTP_TIMEOUT = 60.0  # a Lambda's first request starts its worker


@dataclass
class Journey:
    """What the steps share: where things are and what earlier steps found."""

    endpoints: LocalCloudEndpoints
    outputs: dict[str, Any]
    http: requests.Session = field(default_factory=requests.Session)
    memory: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return str(self.outputs["apiUrl"]).rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class SmokeReport:
    steps: list[StepResult]

    @property
    def passed(self) -> bool:
        return all(step.ok for step in self.steps)


Step = tuple[str, Callable[[Journey], str]]


class SmokeStepError(AssertionError):
    """A smoke step saw something a user would notice."""


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise SmokeStepError(
            f"{what}: expected {status}, got {response.status_code} {response.text[:200]}"
        )


def health(journey: Journey) -> str:
    response = journey.http.get(journey.url("health"), timeout=HTTP_TIMEOUT)
    _expect(response, 200, "GET /health")
    if response.json() != {"status": "ok"}:
        raise SmokeStepError(f"GET /health answered {response.text[:200]}")
    return f"GET {journey.url('health')} -> 200 {response.text.strip()}"


def unsigned_refused(journey: Journey) -> str:
    from hybridstack.emulators.runtime.clients import AuthEmulator

    email = f"smoke-{uuid.uuid4().hex[:8]}@example.com"
    user = AuthEmulator(journey.endpoints).sign_up(email, "smoke-secret-1")
    journey.memory["email"] = email
    journey.memory["user"] = user
    response = journey.http.get(journey.url("me"), headers=user.authorization, timeout=60)
    _expect(response, 401, "GET /me with the Auth emulator's unsigned token")
    return f"signed up {email} (uid {user.uid}); its unsigned emulator token -> 401"


def signed_me(journey: Journey) -> str:
    from hybridstack.emulators.runtime.clients import AuthEmulator

    user = journey.memory.get("user")
    if user is None:
        raise SmokeStepError("no user signed up (the previous step failed)")
    auth = AuthEmulator(journey.endpoints)
    token = auth.signed_token(user)
    response = journey.http.get(
        journey.url("me"), headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
    )
    _expect(response, 200, "GET /me with the local issuer's signed token")
    body = response.json()
    if body.get("uid") != user.uid:
        raise SmokeStepError(f"GET /me answered uid {body.get('uid')!r}, not {user.uid!r}")
    return f"signed by the local issuer -> GET /me 200 uid {user.uid}"


DEFAULT_STEPS: tuple[Step, ...] = (
    ("API health", health),
    ("sign-up; unsigned token refused", unsigned_refused),
    ("authorized route with a signed identity", signed_me),
)


JOURNEY_ROUTES = frozenset({"GET /health", "GET /me"})
"""The routes the journey calls; a stack that declares them (and exports ``apiUrl``) has it."""


def journey_applies(endpoints: LocalCloudEndpoints, result: DeployResult) -> bool:
    """Whether the deployed stack has what the journey needs (routes, ``apiUrl``, Auth)."""
    routes = {
        str(resource.inputs.get("routeKey"))
        for resource in result.resources
        if resource.type == "aws:apigatewayv2/route:Route"
    }
    has_api = bool(result.outputs.get("apiUrl"))
    return has_api and endpoints.auth is not None and routes >= JOURNEY_ROUTES


def run_smoke_journey(
    endpoints: LocalCloudEndpoints,
    outputs: dict[str, Any],
    steps: Sequence[Step] = DEFAULT_STEPS,
) -> SmokeReport:
    """Run ``steps`` in order; a failing step is reported (with why) and the rest still run."""
    journey = Journey(endpoints, outputs)
    results = []
    for name, step in steps:
        started = time.perf_counter()
        try:
            detail, ok = step(journey), True
        except Exception as error:  # reported, not raised: the report shows every step
            detail, ok = f"{type(error).__name__}: {error}", False
        results.append(StepResult(name, ok, detail, time.perf_counter() - started))
    return SmokeReport(results)
