"""Where a running local cloud listens, and the environment that points clients at it.

This is the one place that knows the variable names: every backend (processes, containers,
an external emulator set) produces a :class:`LocalCloudEndpoints`, and everything that talks to
the local cloud (CLI, pytest plugin, deploy engine, service code under test) reads its
``environment()`` or re-creates it with :meth:`LocalCloudEndpoints.from_environment`.

Example:
    endpoints = LocalCloudEndpoints(aws="http://127.0.0.1:4566", firestore="127.0.0.1:8080")
    os.environ.update(endpoints.environment())
    boto3.client("s3")  # reaches the emulator through AWS_ENDPOINT_URL
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

DEFAULT_PROJECT_ID = "demo-hybridstack"
DEFAULT_REGION = "us-east-1"
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"  # the emulators' well-known test credential
ISSUER_VARIABLE = "HYBRIDSTACK_TOKEN_ISSUER"  # the local issuer of signed Firebase identities
HUB_VARIABLE = "FIREBASE_EMULATOR_HUB"  # firebase-tools' own name for its hub's address


class LocalCloudEndpoints(BaseModel):
    """Addresses of the emulators that are running; ``None`` for one that is not.

    ``aws`` is a URL (``http://127.0.0.1:4566``); the Firebase hosts are ``host:port`` as the
    Google SDKs expect, except ``storage`` which the Python clients want with its scheme.
    """

    model_config = ConfigDict(frozen=True)

    project_id: str = DEFAULT_PROJECT_ID
    region: str = DEFAULT_REGION
    aws: str | None = None
    auth: str | None = None
    functions: str | None = None
    firestore: str | None = None
    pubsub: str | None = None
    storage: str | None = None
    hub: str | None = None
    """firebase-tools' emulator hub (``host:port``): lists its emulators and reloads the Functions
    emulator's codebase on request (``FIREBASE_EMULATOR_HUB``, as firebase-tools exports it)."""
    issuer: str | None = None
    """The local OIDC issuer signing Auth-emulator identities, ``http://127.0.0.1:<port>/<project>``
    (:mod:`hybridstack.emulators.runtime.local_issuer`)."""

    def environment(self) -> dict[str, str]:
        """The variables that point AWS and Google/Firebase SDKs at these emulators."""
        env: dict[str, str] = {
            "GOOGLE_CLOUD_PROJECT": self.project_id,
            "GCLOUD_PROJECT": self.project_id,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
        if self.aws:
            host_port = self.aws.split("://", 1)[-1].rstrip("/")
            env |= {
                "AWS_ENDPOINT_URL": self.aws,
                "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
                # localstack-client and LocalStack-aware tools derive the endpoint from these.
                "LOCALSTACK_HOST": host_port,
                "EDGE_PORT": host_port.rsplit(":", 1)[-1],
            }
        if self.auth:
            env["FIREBASE_AUTH_EMULATOR_HOST"] = self.auth
        if self.functions:
            env["FUNCTIONS_EMULATOR_HOST"] = self.functions
        if self.firestore:
            env["FIRESTORE_EMULATOR_HOST"] = self.firestore
        if self.pubsub:
            env["PUBSUB_EMULATOR_HOST"] = self.pubsub
        if self.storage:
            env["STORAGE_EMULATOR_HOST"] = self.storage
        if self.hub:
            env[HUB_VARIABLE] = self.hub
        if self.issuer:
            env[ISSUER_VARIABLE] = self.issuer
        return env

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> LocalCloudEndpoints:
        """Re-create the endpoints from exported variables (``--local-cloud=external``)."""
        aws = env.get("AWS_ENDPOINT_URL")
        if not aws and env.get("LOCALSTACK_HOST"):
            aws = f"http://{env['LOCALSTACK_HOST']}"
        return cls(
            project_id=env.get("GOOGLE_CLOUD_PROJECT", DEFAULT_PROJECT_ID),
            region=env.get("AWS_DEFAULT_REGION", env.get("AWS_REGION", DEFAULT_REGION)),
            aws=aws,
            auth=env.get("FIREBASE_AUTH_EMULATOR_HOST"),
            functions=env.get("FUNCTIONS_EMULATOR_HOST"),
            firestore=env.get("FIRESTORE_EMULATOR_HOST"),
            pubsub=env.get("PUBSUB_EMULATOR_HOST"),
            storage=env.get("STORAGE_EMULATOR_HOST"),
            hub=env.get(HUB_VARIABLE),
            issuer=env.get(ISSUER_VARIABLE),
        )
