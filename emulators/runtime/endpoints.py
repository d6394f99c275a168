"""Where a running local cloud listens, and the environment that points clients at it.

The variable names come from the emulator table
(:mod:`~hybridstack.emulators.runtime.emulators`); this is the one place that writes and reads
them: every backend (processes, containers,
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

from hybridstack.emulators.runtime.emulators import EMULATORS, emulator

DEFAULT_PROJECT_ID = "demo-hybridstack"
DEFAULT_REGION = "us-east-1"
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"  # the emulators' well-known test credential
ISSUER_VARIABLE = emulator("issuer").variables[0]  # the local issuer of signed identities
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
        for row in EMULATORS:  # the others: their address in their main variable
            address = getattr(self, row.name)
            if address and row.name != "aws":
                env[row.variables[0]] = address
        if self.hub:
            env[HUB_VARIABLE] = self.hub
        return env

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> LocalCloudEndpoints:
        """Re-create the endpoints from exported variables (``--local-cloud=external``)."""
        aws = env.get("AWS_ENDPOINT_URL")
        if not aws and env.get("LOCALSTACK_HOST"):
            aws = f"http://{env['LOCALSTACK_HOST']}"
        others = {row.name: env.get(row.variables[0]) for row in EMULATORS if row.name != "aws"}
        return cls(
            project_id=env.get("GOOGLE_CLOUD_PROJECT", DEFAULT_PROJECT_ID),
            region=env.get("AWS_DEFAULT_REGION", env.get("AWS_REGION", DEFAULT_REGION)),
            aws=aws,
            hub=env.get(HUB_VARIABLE),
            **others,
        )
