"""Run a Pulumi program under Pulumi's mocks API and record what it registered.

No Pulumi CLI or provider plugin is needed: :func:`run_under_mocks` installs a
:class:`RecordingMocks` (Pulumi's official mocks hook), runs the program, waits for every
registration, and returns the resources in the order they were declared, with their inputs as
the provider would receive them (camelCase wire names, secrets unwrapped). Production code uses
it too: the policy checks (:mod:`hybridstack.policy`) read its records, and the local deploy
engine's mocks extend :class:`RecordingMocks`. Tests import the same names from
:mod:`hybridstack.testing`.

Example:
    from hybridstack.recording import run_under_mocks
    from hybridstack.components.queue import Queue

    resources = run_under_mocks(lambda: Queue("jobs"))
    queues = [r for r in resources if r.type == "aws:sqs/queue:Queue"]
    assert any(q.inputs.get("redrivePolicy") for q in queues)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.config import set_all_config

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"


@dataclass
class RegisteredResource:
    """One resource the program declared: its type token, logical name, inputs and outputs."""

    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    custom: bool
    provider: str | None = None
    parent: str | None = None

    @classmethod
    def from_mock(
        cls, args: MockResourceArgs, inputs: dict[str, Any], outputs: dict[str, Any], rid: str
    ) -> RegisteredResource:
        """The record of one ``Mocks.new_resource`` call, with the inputs and outputs it got."""
        return cls(
            type=args.typ,
            name=args.name,
            inputs=inputs,
            outputs=outputs,
            id=rid,
            custom=bool(args.custom),
            provider=args.provider,
        )

    @property
    def is_component(self) -> bool:
        return not self.custom


def _unwrap_secrets(value: Any) -> Any:
    """Mocks receive secret inputs wrapped in a marker dict; give tests the plain value."""
    if isinstance(value, dict):
        if value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            return _unwrap_secrets(value.get("value"))
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


def module_and_kind(type_token: str) -> tuple[str, str, str]:
    """``aws:s3/bucketV2:BucketV2`` -> (``aws``, ``s3``, ``BucketV2``)."""
    package, _, rest = type_token.partition(":")
    module, _, kind = rest.partition(":")
    return package, module.split("/")[0], kind


@dataclass
class RecordingMocks(Mocks):
    """Mocks that record every registered resource and return plausible cloud outputs.

    Outputs echo the inputs and add what providers compute: ``arn`` for AWS resources, ``name``
    where none was given, ``url``/``endpoint`` style attributes, and GCP ``name``/``id``. Calls to
    identity functions (account, region, partition, project) answer with fixed test values.
    """

    project: str = "demo-hybridstack"
    resources: list[RegisteredResource] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = _unwrap_secrets(dict(args.inputs))
        resource_id = f"{args.name}-id"
        outputs = dict(inputs)
        package, module, kind = module_and_kind(args.typ)
        if args.custom:
            outputs.update(self._computed_outputs(package, module, kind, args.name, inputs))
            resource_id = str(outputs.get("id", resource_id))
        record = RegisteredResource.from_mock(args, inputs, outputs, resource_id)
        with self._lock:
            self.resources.append(record)
        return resource_id, outputs

    def _computed_outputs(
        self, package: str, module: str, kind: str, name: str, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        physical = inputs.get("name") or inputs.get("bucket") or f"{name}-{kind.lower()}"
        out: dict[str, Any] = {"name": physical}
        if package == "aws":
            out["arn"] = f"arn:aws:{module}:{REGION}:{ACCOUNT_ID}:{module}/{physical}"
            out["id"] = physical if module in {"s3", "sqs", "dynamodb", "lambda"} else f"{name}-id"
            if module == "s3":
                out["bucket"] = physical
                out["arn"] = f"arn:aws:s3:::{physical}"
                out["bucketDomainName"] = f"{physical}.s3.amazonaws.com"
                out["bucketRegionalDomainName"] = f"{physical}.s3.{REGION}.amazonaws.com"
            if module == "sqs":
                out["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{physical}"
                out["arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{physical}"
            if module == "lambda":
                out["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{physical}"
                out["invokeArn"] = (
                    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                    f"{out['arn']}/invocations"
                )
                out["qualifiedArn"] = f"{out['arn']}:$LATEST"
            if module == "apigatewayv2":
                out["apiEndpoint"] = f"https://{name}.execute-api.{REGION}.amazonaws.com"
                out["executionArn"] = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{name}"
                out["invokeUrl"] = f"https://{name}.execute-api.{REGION}.amazonaws.com/"
            if module == "cloudfront":
                out["domainName"] = f"{name}.cloudfront.net"
                out["hostedZoneId"] = "Z2FDTNDATAQYW2"
            if module == "iam" and kind == "Role":
                out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}"
            if module == "dynamodb":
                out["arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{physical}"
                out["streamArn"] = f"{out['arn']}/stream/2026-01-01T00:00:00.000"
            if module == "sns":
                out["arn"] = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{physical}"
            if module == "kms":
                out["keyId"] = f"{name}-key-id"
                out["arn"] = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{name}-key-id"
            if module == "secretsmanager":
                out["arn"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{physical}"
            if module == "rds":
                out["endpoint"] = f"{name}.cluster.{REGION}.rds.amazonaws.com"
                out["port"] = 5432
                if kind == "Cluster":
                    out["arn"] = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:{name}"
                    if inputs.get("manageMasterUserPassword"):
                        out["masterUserSecrets"] = [
                            {
                                "secretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:"
                                f"secret:rds!cluster-{name}",
                                "secretStatus": "active",
                                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                            }
                        ]
        elif package == "gcp":
            project = inputs.get("project") or self.project
            out["id"] = f"projects/{project}/{kind.lower()}s/{physical}"
            out["project"] = project
            if kind == "ServiceAccount" or (module == "serviceaccount" and kind == "Account"):
                account_id = inputs.get("accountId", name)
                out["email"] = f"{account_id}@{project}.iam.gserviceaccount.com"
                out["member"] = f"serviceAccount:{out['email']}"
                out["uniqueId"] = str(100000000000000000000 + sum(map(ord, account_id)))
            if kind == "WebApp":
                out["appId"] = f"1:123456789:web:{name}"
        return out

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        # Pulumi iterates the failures list, so answer with an empty list rather than None.
        result, failures = self.answer_call(args)
        return result, list(failures or [])

    def answer_call(
        self, args: MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """The result of one invoke (override this to answer more calls)."""
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "test",
                "id": ACCOUNT_ID,
            }, None
        if token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}, None
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, None
        if token.startswith("aws:iam/getPolicyDocument"):
            return {"json": "{}", "id": "policy"}, None
        if token == "gcp:organizations/getProject:getProject":
            return {"projectId": self.project, "number": "123456789", "id": self.project}, None
        if token == "gcp:firebase/getWebAppConfig:getWebAppConfig":
            project = args.args.get("project") or self.project
            return {
                "apiKey": "AIza-test-api-key",
                "authDomain": f"{project}.firebaseapp.com",
                "storageBucket": f"{project}.firebasestorage.app",
                "messagingSenderId": "123456789",
                "measurementId": "",
                "locationId": "us-central",
                "databaseUrl": "",
                "project": project,
                "webAppId": args.args.get("webAppId"),
                "id": args.args.get("webAppId"),
            }, None
        if token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            email = "service-123456789@gs-project-accounts.iam.gserviceaccount.com"
            return {"emailAddress": email, "member": f"serviceAccount:{email}", "id": email}, None
        if token == "gcp:organizations/getClientConfig:getClientConfig":
            return {"project": self.project, "region": "us-central1", "id": self.project}, None
        return dict(args.args), None


def run_under_mocks(
    program: Callable[[], Any],
    *,
    stack: str = "dev",
    project: str = "hybridstack",
    config: Mapping[str, Any] | None = None,
    mocks: RecordingMocks | None = None,
) -> list[RegisteredResource]:
    """Run ``program`` under Pulumi mocks for ``stack`` and return every resource it registered.

    ``config`` keys without a namespace are put in the project's namespace (``env`` ->
    ``hybridstack:env``); values that are not strings are JSON-encoded, as the CLI would.
    """
    import json

    recorder = mocks or RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=False)
    encoded: dict[str, str] = {}
    for key, value in (config or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        encoded[full_key] = value if isinstance(value, str) else json.dumps(value)
    set_all_config(encoded)

    @pulumi.runtime.test
    def _run() -> Any:
        return program()

    try:
        _run()
    finally:
        set_all_config({})
    return recorder.resources
