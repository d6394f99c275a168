"""An HTTP API JWT authorizer refuses a token without a usable ``exp``, as API Gateway does
(MiniStack alone checks ``exp`` only when present;
``emulators/runtime/aws/ministack_patches.py``)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests

from hybridstack.emulators.runtime.local_issuer import SigningKey
from tests.emulators.test_local_issuer import _protected_api


@pytest.mark.emulators("aws", "auth")
def test_a_signed_token_without_a_usable_exp_is_refused(
    auth, cloud, local_cloud, lambda_client, apigatewayv2
):
    url = _protected_api(
        lambda_client, apigatewayv2, cloud.aws, str(cloud.issuer), cloud.project_id, "GET /whoami"
    )
    alice = auth.sign_up_signed("alice@example.com", "alice-secret")
    claims: dict[str, Any] = dict(jwt.decode(alice.id_token, options={"verify_signature": False}))
    issuer_key = SigningKey.from_pem_file(local_cloud.issuer_key_path)
    without_exp = {name: value for name, value in claims.items() if name != "exp"}

    def status(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.get(url, headers=headers, timeout=60).status_code

    assert status(issuer_key.sign(claims)) == 200  # the same claims with their exp: accepted
    assert status(issuer_key.sign(without_exp)) == 401
    assert status(issuer_key.sign({**without_exp, "exp": "tomorrow"})) == 401
    assert status(issuer_key.sign({**without_exp, "exp": None})) == 401
