"""The local issuer as a metadata server: google-auth's ``fetch_id_token``, unchanged, gets a
Google-style ID token of the named service account for the audience it asks."""

from __future__ import annotations

import os
import subprocess
import sys

import jwt
import pytest
import requests

from hybridstack.emulators.runtime.local_issuer import google_issuer, metadata_host

pytestmark = pytest.mark.emulators("auth")

ACCOUNT = "registration@demo-hybridstack.iam.gserviceaccount.com"
FETCH = (
    "import google.auth.transport.requests as r, google.oauth2.id_token as t, sys;"
    "print(t.fetch_id_token(r.Request(), sys.argv[1]))"
)


def test_fetch_id_token_gets_a_token_of_the_account_for_the_audience(cloud):
    host = metadata_host(str(cloud.issuer), ACCOUNT)
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env |= {"GCE_METADATA_HOST": host, "GCE_METADATA_IP": host}
    audience = "http://127.0.0.1:1/internal/users"

    fetched = subprocess.run(
        [sys.executable, "-c", FETCH, audience], env=env, capture_output=True, text=True, timeout=60
    )

    assert fetched.returncode == 0, fetched.stderr
    issuer = google_issuer(str(cloud.issuer))
    keys = requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json()
    claims = jwt.decode(
        fetched.stdout.strip(),
        jwt.PyJWKSet.from_dict(keys).keys[0].key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
    )
    assert claims["email"] == ACCOUNT


def test_the_metadata_stand_in_wants_the_metadata_flavor_header_and_an_audience(cloud):
    root = f"http://{metadata_host(str(cloud.issuer), ACCOUNT)}/computeMetadata/v1/"
    identity = root + "instance/service-accounts/default/identity"
    flavor = {"Metadata-Flavor": "Google"}

    assert requests.get(identity, params={"audience": "a"}, timeout=10).status_code == 403
    assert requests.get(identity, headers=flavor, timeout=10).status_code == 400
    assert requests.get(root + "project/project-id", headers=flavor, timeout=10).status_code == 404
