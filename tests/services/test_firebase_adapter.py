"""The Firebase adapter (``services/firebase/main.py``) as the Functions emulator runs it.

The codebase is assembled from ``services/`` with its pinned virtual environment; a sign-up in the
Auth emulator runs ``before_user_created``, which must POST the new user to
``<REGISTRATION_API_URL>/internal/users`` with a Google-style ID token of its service account
(from the metadata server: the local issuer) for exactly that URL — and let the sign-up through
whatever the API answers. The API here is a recording HTTP server: the adapter is under test,
the deployed API is the system tests' business.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from hybridstack.emulators.runtime import firebase_tools, functions_codebase
from hybridstack.emulators.runtime.clients import AuthEmulator
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.local_issuer import google_issuer, metadata_host
from hybridstack.emulators.runtime.ports import LOOPBACK

CALLER = "registration@demo-hybridstack.iam.gserviceaccount.com"


@dataclass
class RecordingApi:
    """An HTTP server answering every POST with ``status`` and keeping what it received."""

    status: int = 201
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api.received.append((self.path, dict(self.headers), json.loads(body or b"{}")))
                self.send_response(api.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture(scope="module")
def recording_api() -> Iterator[tuple[RecordingApi, str]]:
    api = RecordingApi()
    server = api.serve()
    yield api, f"http://{LOOPBACK}:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def functions_cloud(
    tmp_path_factory: pytest.TempPathFactory, recording_api: tuple[RecordingApi, str]
) -> Iterator[LocalCloud]:
    root = tmp_path_factory.mktemp("adapter")
    source = functions_codebase.assemble(root / "functions")
    cloud = LocalCloud(services=["auth"], functions_source=source, state_dir=root / "state")
    with cloud:
        assert cloud.endpoints.issuer
        functions_codebase.configure(
            source,
            api_url=recording_api[1],
            metadata_host=metadata_host(cloud.endpoints.issuer, CALLER),
        )
        yield cloud


def test_sign_up_posts_the_new_user_with_a_token_for_the_registration_url(
    functions_cloud: LocalCloud, recording_api: tuple[RecordingApi, str]
) -> None:
    api, url = recording_api
    api.status, api.received[:] = 201, []

    user = AuthEmulator(functions_cloud.endpoints).sign_up("gina@example.com", "gina-secret")

    assert [(path, body) for path, _, body in api.received] == [
        ("/v1/internal/users", {"uid": user.uid, "email": "gina@example.com"})
    ]
    headers = {name.lower(): value for name, value in api.received[0][1].items()}
    scheme, _, token = headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    issuer = google_issuer(str(functions_cloud.endpoints.issuer))
    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json()
    key = jwt.PyJWKSet.from_dict(jwks).keys[0].key
    claims = jwt.decode(
        token, key, algorithms=["RS256"], audience=f"{url}/internal/users", issuer=issuer
    )
    assert claims["email"] == CALLER


@pytest.mark.parametrize("status", [403, 500])
def test_sign_up_goes_through_whatever_the_api_answers(
    functions_cloud: LocalCloud, recording_api: tuple[RecordingApi, str], status: int
) -> None:
    api, _ = recording_api
    api.status, api.received[:] = status, []
    auth = AuthEmulator(functions_cloud.endpoints)

    user = auth.sign_up(f"hal-{status}@example.com", "hal-secret")

    if status == 403:
        assert len(api.received) == 1  # the function ran and was refused: no retry
    else:
        assert len(api.received) > 1  # a 5xx may pass: retried within the blocking budget
    assert {path for path, _, _ in api.received} == {"/v1/internal/users"}
    assert auth.sign_in(f"hal-{status}@example.com", "hal-secret").uid == user.uid


def test_edited_service_code_reaches_the_running_functions_emulator_on_reload(
    tmp_path: Path, recording_api: tuple[RecordingApi, str]
) -> None:
    """In the default state folder's layout (``.hybridstack/local/functions``): a dot-folder,
    which firebase-tools' file watcher never sees into."""
    api, url = recording_api
    api.status, api.received[:] = 201, []
    services = tmp_path / "services"
    shutil.copytree(
        functions_codebase.SERVICES_DIR, services, ignore=shutil.ignore_patterns("__pycache__")
    )
    state = tmp_path / ".hybridstack" / "local"
    source = functions_codebase.assemble(state / "functions", services=services)
    assert functions_codebase.stale_files(source, services) == []
    cloud = LocalCloud(services=["auth"], functions_source=source, state_dir=state)
    with cloud:
        assert cloud.endpoints.issuer
        functions_codebase.configure(
            source, api_url=url, metadata_host=metadata_host(cloud.endpoints.issuer, CALLER)
        )
        auth = AuthEmulator(cloud.endpoints)
        auth.sign_up("hana@example.com", "hana-secret")

        registration = services / "identity" / "registration.py"
        text = registration.read_text()
        assert 'REGISTRATION_PATH = "/internal/users"' in text
        registration.write_text(text.replace('"/internal/users"', '"/internal/users-v2"'))
        assert functions_codebase.stale_files(source, services) == [
            "hybridstack/services/identity/registration.py"
        ]
        functions_codebase.reload(
            source,
            cloud.log_path(firebase_tools.NAME),
            hub=str(cloud.endpoints.hub),
            services=services,
        )
        assert functions_codebase.stale_files(source, services) == []
        auth.sign_up("ivan@example.com", "ivan-secret")

    assert [path for path, _, _ in api.received] == ["/v1/internal/users", "/v1/internal/users-v2"]


def test_new_settings_reach_workers_that_already_ran_after_a_reload(
    tmp_path: Path, recording_api: tuple[RecordingApi, str]
) -> None:
    """A redeploy that moves the API (a second ``up`` in the same checkout) reaches the function:
    its settings are re-read by the workers the reload starts."""
    api, url = recording_api
    api.status, api.received[:] = 201, []
    state = tmp_path / ".hybridstack" / "local"
    source = functions_codebase.assemble(state / "functions")
    cloud = LocalCloud(services=["auth"], functions_source=source, state_dir=state)
    with cloud:
        assert cloud.endpoints.issuer
        assert cloud.endpoints.hub
        host = metadata_host(cloud.endpoints.issuer, CALLER)
        functions_codebase.configure(source, api_url=f"{url}/old", metadata_host=host)
        auth = AuthEmulator(cloud.endpoints)
        auth.sign_up("jo@example.com", "jo-secret-pw")  # a worker starts with the old settings

        assert functions_codebase.configure(source, api_url=f"{url}/new", metadata_host=host)
        functions_codebase.reload(
            source, cloud.log_path(firebase_tools.NAME), hub=cloud.endpoints.hub
        )
        auth.sign_up("kim@example.com", "kim-secret-pw")

    assert [path for path, _, _ in api.received] == [
        "/v1/old/internal/users",
        "/v1/new/internal/users",
    ]


def test_a_codebase_that_no_longer_loads_is_reported_on_reload(
    tmp_path: Path, recording_api: tuple[RecordingApi, str]
) -> None:
    services = tmp_path / "services"
    shutil.copytree(
        functions_codebase.SERVICES_DIR, services, ignore=shutil.ignore_patterns("__pycache__")
    )
    state = tmp_path / ".hybridstack" / "local"
    source = functions_codebase.assemble(state / "functions", services=services)
    cloud = LocalCloud(services=["auth"], functions_source=source, state_dir=state)
    with cloud:
        main = services / "firebase" / "main.py"
        main.write_text(main.read_text() + "\nraise RuntimeError('broken on purpose')\n")

        with pytest.raises(functions_codebase.FunctionsReloadError, match="did not load again"):
            functions_codebase.reload(
                source,
                cloud.log_path(firebase_tools.NAME),
                hub=str(cloud.endpoints.hub),
                services=services,
            )
