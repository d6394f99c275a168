"""Every reference-architecture example deploys into the local cloud as its ``local`` stack."""

from __future__ import annotations

import pytest
import requests

from hybridstack.emulators.deploy import deploy_local_stack
from tests.examples.architectures import EXAMPLES
from tests.examples.test_architectures import ARCHITECTURES

pytestmark = pytest.mark.emulators("aws", "auth", "firestore", "pubsub", "storage")


# example -> (the API URL output, a route and what it answers without a token)
PROBES = {
    "iot-audio": ("apiUrl", "GET /health", 200),
    "messaging-media": ("apiUrl", "POST /media/upload", 401),
    "music-analytics": ("radioApiUrl", "GET /me", 401),
    "social-saas": ("apiUrl", "GET /health", 200),
}


@pytest.mark.parametrize("example", ARCHITECTURES)
def test_the_example_deploys_and_its_api_answers(example, cloud, tmp_path):
    result = deploy_local_stack(
        cloud, project_dir=EXAMPLES / example, state_path=tmp_path / "deploy.json"
    )

    created = result.count("created")
    assert created > 10
    assert created + result.count("not-emulated") == sum(1 for r in result.resources if r.custom)
    output, route, status = PROBES[example]
    method, path = route.split(" ")
    url = str(result.outputs[output]).rstrip("/")
    assert url.startswith(f"{cloud.aws}/_aws/execute-api/")
    assert requests.request(method, url + path, timeout=90).status_code == status
