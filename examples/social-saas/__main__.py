"""Reference architecture C: a social-content SaaS, built from hybridstack components.

- a React SPA served from a private S3 bucket through CloudFront (index fallback, security
  headers); sign-in with Firebase Auth federating Google, LinkedIn and Facebook;
- a REST API on API Gateway verifying Firebase ID tokens, with Lambdas grouped by concern:
  content (AI generation), posting (instant and scheduled), schedules, utilities; third-party
  webhooks (OAuth callbacks, billing) are the only public routes and verify their own
  signatures in code;
- PostgreSQL (Aurora Serverless v2 + Data API) for users' metadata, content ideas, scheduled
  posts, encrypted social credentials, subscriptions and schedule settings;
- social tokens encrypted with a KMS key only the OAuth and posting functions may use;
- S3 for generated images and uploads with lifecycle rules; a schedule manager running every
  minute to publish due posts;
- budget alerts at several thresholds, error-rate and latency alarms; JSON logs with
  correlation ids (Powertools in the services).

Route handlers point at ``hybridstack.services``: the platform API adapter serves every route
until each concern's service module exists (the services work), so the wiring, permissions and
policies are what this example shows.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from hybridstack.components.alerts import Alerts
from hybridstack.components.database import PostgresCluster
from hybridstack.components.firebase_project import FirebaseProject
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.identity import Identity
from hybridstack.components.link import IamStatement, LinkSpec
from hybridstack.components.schedule import Schedule
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.stack_defaults import is_production
from hybridstack.components.static_site import StaticSite

API_HANDLER = "hybridstack.services.api.handler.handle"
PUBLIC_ROUTES = ("GET /health", "GET /oauth/{provider}/callback", "POST /webhooks/billing")

config = pulumi.Config()
production = is_production()
project = config.get("firebaseProject") or f"demo-social-{pulumi.get_stack()}"
origins = config.get_object("appOrigins") or ["http://localhost:5173"]
# demo- projects only run on the emulators, which accept any OAuth client; real ones need it set
# (`pulumi config set --secret oauthClientSecret ...`).
secret = (
    pulumi.Output.secret("emulator-accepts-any-secret")
    if project.startswith("demo-")
    else config.require_secret("oauthClientSecret")
)

firebase = FirebaseProject("firebase", {"project": project, "web_app_name": "social-saas"})
identity = Identity(
    "identity",
    {
        "project": project,
        "oauth_providers": {
            idp: {
                "client_id": config.get(f"{idp}ClientId") or f"{idp}-client",
                "client_secret": secret,
            }
            for idp in ("google.com", "linkedin.com", "facebook.com")
        },
    },
    opts=pulumi.ResourceOptions(depends_on=firebase.ready),
)

# -- data: PostgreSQL, social tokens under a KMS key, generated images --------------------------
database = PostgresCluster("saas", {"database_name": "saas", "max_capacity": 4})
token_key = aws.kms.Key(
    "social-tokens",
    description="Encrypts users' social network tokens (envelope encryption in the services)",
    enable_key_rotation=True,
    deletion_window_in_days=30 if production else 7,
)
use_token_key = LinkSpec(
    statements=[
        IamStatement(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], [token_key.arn])
    ],
    environment={"SOCIAL_TOKENS_KEY_ARN": token_key.arn},
)
images = SecureBucket(
    "generated",
    {
        "lifecycle_rules": [
            {
                "id": "expire-drafts",
                "status": "Enabled",
                "filter": {"prefix": "drafts/"},
                "expiration": {"days": 30},
            },
            {
                "id": "archive-published",
                "status": "Enabled",
                "filter": {"prefix": "published/"},
                "transitions": [{"days": 90, "storage_class": "STANDARD_IA"}],
            },
        ],
        "cors_rules": [
            {
                "allowed_methods": ["GET", "PUT"],
                "allowed_origins": origins,
                "allowed_headers": ["*"],
                "max_age_seconds": 3000,
            }
        ],
    },
)


# -- Lambdas grouped by concern -----------------------------------------------------------------
def concern(name: str, links: list[LinkSpec | object], **extra: object) -> Function:
    args: dict[str, object] = {"handler": API_HANDLER, "link": links, "dead_letter": False}
    args.update(extra)
    return Function(name, args)  # type: ignore[arg-type]


oauth = concern("oauth", [database, use_token_key])
content = concern("content", [database, images], timeout=29, memory=1024)
posting = concern("posting", [database, images, use_token_key], timeout=60, dead_letter=True)
billing = concern("billing", [database])
utilities = concern("utilities", [])

api = HttpApi(
    "api",
    {"authorizer": identity, "cors": {"allow_origins": origins}, "throttle_rate": 50},
)
api.route("GET /health", utilities, public=True)
api.route("GET /oauth/{provider}/callback", oauth, public=True)
api.route("POST /webhooks/billing", billing, public=True)
api.route("POST /oauth/{provider}/connect", oauth)
api.route("POST /content/ideas", content)
api.route("POST /content/generate", content)
api.route("POST /posts", posting)
api.route("GET /posts", posting)
api.route("DELETE /posts/{id}", posting)
api.route("PUT /schedules", posting)
api.route("GET /me", utilities)

# -- the schedule manager: publishes due posts every minute -------------------------------------
scheduler = Schedule(
    "publish-due-posts",
    {
        "function": posting,
        "schedule": "rate(1 minute)",
        "input": {"action": "publish_due_posts"},
    },
)

site = StaticSite(
    "spa",
    {
        "enabled": pulumi.get_stack() != "dev",
        "content_security_policy": "default-src 'self'; connect-src 'self' https:; "
        "img-src 'self' data: https:; frame-ancestors 'none'",
    },
)

alerts = Alerts(
    "alarms",
    {
        "emails": [config.get("alertEmail") or "founders@example.com"],
        "monthly_budget_usd": float(config.get("budgetUsd") or 300),
        "budget_thresholds_percent": [25, 50, 80, 100, 120],
    },
)
for function in (oauth, content, posting, billing, utilities):
    alerts.watch_function(function)
alerts.watch_api(api, latency_ms=800)
alerts.watch_queue(scheduler)

pulumi.export("apiUrl", api.url)
pulumi.export("siteUrl", site.url)
pulumi.export("siteBucket", site.bucket_name)
pulumi.export("imagesBucket", images.bucket_name)
pulumi.export("databaseClusterArn", database.arn)
pulumi.export("firebaseConfig", firebase.client_config)
pulumi.export("publicRoutes", json.dumps(PUBLIC_ROUTES))
