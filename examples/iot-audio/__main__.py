"""Reference architecture D: an IoT audio streaming product, built from hybridstack components.

- sign-in with a managed user pool issuing JWTs (Amazon Cognito here, to show an ``HttpApi``
  trusting an issuer other than Firebase), HTTP API (API Gateway v2) -> one Python Lambda
  serving the whole app (``ANY /{proxy+}``), CORS;
- a DynamoDB single table (``PK``/``SK``, pay per request, PITR in prod) for users, devices,
  scripts, audio metadata, events and playback history;
- an S3 audio bucket (CORS; versioning and lifecycle in prod) and the UI bucket behind
  CloudFront, which is off in dev for faster deploys;
- Secrets Manager for third-party OAuth tokens, linked to the app with read access only;
- log retention one week in dev, a month in prod; SNS alarms and a billing alert.

The long-running MQTT worker (containers) is not part of this program: it runs next to it and
writes device events into the same table (grant it ``table.link_spec()``).

    pulumi up --stack dev      # or: run under mocks, see tests/examples/
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from hybridstack.components.alerts import Alerts
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.components.link import IamStatement, LinkSpec
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.stack_defaults import is_production
from hybridstack.components.static_site import StaticSite
from hybridstack.components.table import Table

config = pulumi.Config()
production = is_production()
dev = pulumi.get_stack() == "dev"
app_origins = config.get_object("appOrigins") or ["http://localhost:5173"]

# -- identity: a Cognito user pool issuing the JWTs the API accepts ---------------------------
users = aws.cognito.UserPool(
    "users",
    username_attributes=["email"],
    auto_verified_attributes=["email"],
    password_policy={"minimum_length": 12, "require_symbols": False},
    deletion_protection="ACTIVE" if production else "INACTIVE",
)
app_client = aws.cognito.UserPoolClient(
    "app",
    user_pool_id=users.id,
    explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    generate_secret=False,
)
region = aws.get_region_output().region
cognito = JwtAuthorizerConfig(
    name="cognito",
    issuer=pulumi.Output.concat("https://cognito-idp.", region, ".amazonaws.com/", users.id),
    audience=[app_client.id],
)

# -- data -----------------------------------------------------------------------------------
table = Table(
    "iot",
    {
        "global_secondary_indexes": [
            {"name": "GSI1", "partition_key": "GSI1PK", "sort_key": "GSI1SK"}
        ],
        "ttl_attribute": "expiresAt",
    },
)
audio = SecureBucket(
    "audio",
    {
        "versioning": production,
        "cors_rules": [
            {
                "allowed_methods": ["GET", "PUT"],
                "allowed_origins": app_origins,
                "allowed_headers": ["*"],
                "max_age_seconds": 3000,
            }
        ],
        "lifecycle_rules": [
            {
                "id": "archive-recordings",
                "status": "Enabled",
                "filter": {"prefix": "recordings/"},
                "transitions": [{"days": 90, "storage_class": "GLACIER_IR"}],
            }
        ]
        if production
        else [],
    },
)
oauth_tokens = aws.secretsmanager.Secret(
    "oauth-tokens",
    description="Third-party OAuth tokens of the audio providers",
    recovery_window_in_days=30 if production else 0,
)
read_oauth_tokens = LinkSpec(
    statements=[IamStatement(["secretsmanager:GetSecretValue"], [oauth_tokens.arn])],
    environment={"OAUTH_TOKENS_SECRET_ARN": oauth_tokens.arn},
)

# -- the app: one Lambda behind the HTTP API ----------------------------------------------------
app = Function(
    "app",
    {
        "handler": "hybridstack.services.api.handler.handle",
        "link": [table, audio, read_oauth_tokens],
        "memory": 512,
        "timeout": 29,
        "dead_letter": False,  # invoked synchronously by API Gateway only
    },
)
api = HttpApi("api", {"authorizer": cognito, "cors": {"allow_origins": app_origins}})
api.route("GET /health", app, public=True)
api.route("ANY /{proxy+}", app)

ui = StaticSite("ui", {"enabled": not dev})

alerts = Alerts(
    "alarms",
    {"emails": [config.get("alertEmail") or "iot-oncall@example.com"], "monthly_budget_usd": 50},
)
alerts.watch_function(app)
alerts.watch_api(api, latency_ms=1000)

pulumi.export("apiUrl", api.url)
pulumi.export("userPoolId", users.id)
pulumi.export("appClientId", app_client.id)
pulumi.export("tableName", table.table_name)
pulumi.export("audioBucket", audio.bucket_name)
pulumi.export("uiBucket", ui.bucket_name)
pulumi.export("uiUrl", ui.url)
