"""Reference architecture A: a music distribution and analytics platform.

- sign-in with Firebase Auth; AWS trusts Firebase ID tokens (JWT authorizer); a Firebase
  ``beforeCreate`` blocking function registers each new user with the core API
  (``POST /internal/users``, a Google-signed token of the platform's service account);
- two REST APIs on API Gateway: the core platform API (profiles, roles, uploads) and the radio
  API, each with its own throttling;
- music upload: clients upload to Firebase Storage -> Pub/Sub push -> the sync Lambda copies
  the file to S3 -> processing (type check, duration) -> status pushed to clients through
  Firestore; audio is served through CloudFront;
- Aurora PostgreSQL (Serverless v2, Data API) as system of record, encrypted with the
  platform's KMS key, point-in-time restore within its backup window, deletion protection in
  prod; a backup bucket (Firestore exports, database dumps) moving to Glacier;
- analytics: one schedule per source (YouTube, Spotify, TikTok) runs the collector: raw pages
  to S3, daily aggregates to DynamoDB, dashboards to Firestore (real time for the artists);
- CloudWatch logs with retention, alarms and a budget; dev/staging/prod from stack names.

The radio API's own endpoints are not in this repository: its routes reach the platform API
adapter (health, caller identity) here, so the example shows the wiring and its policies.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from hybridstack.components.alerts import Alerts
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.database import PostgresCluster, Table
from hybridstack.components.firebase_project import FirebaseProject
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.identity import Identity
from hybridstack.components.link import IamStatement, LinkSpec
from hybridstack.components.media_store import MediaStore, function_role_names
from hybridstack.components.realtime_store import RealtimeStore
from hybridstack.components.schedule import Schedule
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.stack_defaults import is_production

SOURCES = {"youtube": "cron(0 2 * * ? *)", "spotify": "cron(0 3 * * ? *)",
           "tiktok": "cron(0 4 * * ? *)"}  # fmt: skip
DASHBOARD_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /dashboards/{artistId} {
      allow read: if request.auth != null && request.auth.token.artistId == artistId;
      allow write: if false;
    }
    match /media/{mediaId} {
      allow read: if request.auth != null && resource.data.owner == request.auth.uid;
    }
  }
}
"""

config = pulumi.Config()
stack = pulumi.get_stack()
production = is_production()
project = config.get("firebaseProject") or f"demo-music-{stack}"
origins = config.get_object("appOrigins") or ["http://localhost:3000"]


def role(name: str) -> str:
    return f"music-{name}-{stack}"


def named_role(name: str) -> dict[str, object]:
    return {"role": lambda args: {**args, "name": role(name)}}


firebase = FirebaseProject("firebase", {"project": project, "web_app_name": "music"})
after_firebase = pulumi.ResourceOptions(depends_on=firebase.ready)
identity = Identity("identity", {"project": project}, opts=after_firebase)
access = CrossCloudAccess(
    "xc",
    {
        "project": project,
        "trusted_aws_roles": [
            role("core"),
            role("uploads"),
            *[role(f"collect-{s}") for s in SOURCES],
            *function_role_names("audio").values(),
        ],
        "gcp_roles": ["roles/firebaseauth.admin"],
    },
    opts=after_firebase,
)
realtime = RealtimeStore(
    "realtime",
    {"project": project, "rules": DASHBOARD_RULES, "access": access},
    opts=after_firebase,
)

# -- data ---------------------------------------------------------------------------------------
key = aws.kms.Key(
    "music-data", description="Music platform data", enable_key_rotation=True,
    deletion_window_in_days=30 if production else 7,
)  # fmt: skip
catalog = PostgresCluster(
    "catalog", {"database_name": "music", "kms_key_arn": key.arn, "max_capacity": 8}
)
database = Table("database", {"ttl_attribute": "expiresAt"})
idempotency = Table(
    "idempotency", {"partition_key": "id", "sort_key": None, "ttl_attribute": "expiration"}
)
backup = SecureBucket(
    "backup",
    {
        "kms_key_arn": key.arn,
        "lifecycle_rules": [
            {
                "id": "to-glacier",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "transitions": [{"days": 30, "storage_class": "GLACIER"}],
            }
        ],
    },
)

# -- the core API -------------------------------------------------------------------------------
core_api = HttpApi(
    "core", {"authorizer": identity, "cors": {"allow_origins": origins}, "throttle_rate": 100}
)
core = Function(
    "core",
    {
        "handler": "hybridstack.services.identity.api.handle",
        "link": [catalog, database, realtime],
        "dead_letter": False,  # invoked synchronously by API Gateway only
    },
    transform=named_role("core"),  # type: ignore[arg-type]
)
for route in ("GET /users/me", "PATCH /users/me", "PUT /users/{uid}/role"):
    core_api.route(route, core)
registration = core_api.url.apply(lambda url: url.rstrip("/") + "/internal/users")
core_api.route("POST /internal/users", core, authorizer=access.jwt_authorizer(registration))

# -- music uploads: Firebase Storage -> S3, processed, served through CloudFront -----------------
audio = MediaStore(
    "audio",
    {
        "processing_handler": "hybridstack.services.media.events.handle",
        "processing": {"link": [realtime], "memory": 1024},
        "link": [database, idempotency],
        "uploads": {
            "project": project,
            "api": core_api,
            "access": access,
            "sync_handler": "hybridstack.services.media.sync.handle",
        },
        "cors_origins": origins,
        "cdn": True,
    },
)
uploads = Function(
    "uploads",
    {
        "handler": "hybridstack.services.media.api.handle",
        "link": [audio, database, idempotency, realtime],
        "dead_letter": False,
    },
    transform=named_role("uploads"),  # type: ignore[arg-type]
)
core_api.route("POST /media/upload", uploads)
core_api.route("GET /media/{media_id}", uploads)

# -- the radio API --------------------------------------------------------------------------------
radio_api = HttpApi("radio", {"authorizer": identity, "throttle_rate": 500, "throttle_burst": 1000})
radio = Function(
    "radio",
    {"handler": "hybridstack.services.api.handler.handle", "link": [catalog], "dead_letter": False},
)
radio_api.route("GET /health", radio, public=True)
radio_api.route("GET /me", radio)

# -- analytics: one scheduled collector per source -----------------------------------------------
raw = SecureBucket(
    "analytics-raw",
    {
        "lifecycle_rules": [
            {
                "id": "archive-raw",
                "status": "Enabled",
                "filter": {"prefix": "raw/"},
                "transitions": [{"days": 90, "storage_class": "GLACIER_IR"}],
            }
        ]
    },
)
alerts = Alerts(
    "alarms",
    {"emails": [config.get("alertEmail") or "music-oncall@example.com"],
     "monthly_budget_usd": float(config.get("budgetUsd") or 500)},
)  # fmt: skip
for source, expression in SOURCES.items():
    token = aws.secretsmanager.Secret(
        f"{source}-token", recovery_window_in_days=30 if production else 0
    )
    collector = Function(
        f"collect-{source}",
        {
            "handler": "hybridstack.services.analytics.jobs.run",
            "link": [
                raw,
                database,
                realtime,
                LinkSpec(
                    statements=[IamStatement(["secretsmanager:GetSecretValue"], [token.arn])],
                    environment={f"{source.upper()}_TOKEN_SECRET_ARN": token.arn},
                ),
            ],
            "timeout": 300,
        },
        transform=named_role(f"collect-{source}"),  # type: ignore[arg-type]
    )
    schedule = Schedule(
        f"{source}-daily",
        {"function": collector, "schedule": expression, "input": {"sources": [source]}},
    )
    alerts.watch_function(collector)
    alerts.watch_queue(schedule)

for function in (core, uploads, radio, audio.processor, audio.sync_function):
    alerts.watch_function(function)
alerts.watch_api(core_api, latency_ms=500)
alerts.watch_api(radio_api, latency_ms=300)

pulumi.export("coreApiUrl", core_api.url)
pulumi.export("radioApiUrl", radio_api.url)
pulumi.export("audioCdnUrl", audio.cdn_url)
pulumi.export("firebaseUploadBucket", audio.firebase_bucket)
pulumi.export("catalogClusterArn", catalog.arn)
pulumi.export("backupBucket", backup.bucket_name)
pulumi.export("firebaseConfig", firebase.client_config)
