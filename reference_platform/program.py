"""The reference platform: the four reference architectures' common core, from stack config.

:func:`build_platform` turns a validated :class:`~reference_platform.config.StackConfig` into
components (the program in ``__main__.py``, the tests, the examples and the benchmark all call
it):

- ``FirebaseProject`` (APIs, Firebase, web app) and ``Identity`` (sign-in; the JWT issuer and
  audience the API trusts);
- ``CrossCloudAccess``: the platform functions' roles (fixed names) act in GCP through
  Workload Identity, without keys;
- ``RealtimeStore``: Firestore with the services' rules (checked closed), PITR and delete
  protection when ``protect_data``;
- the DynamoDB single table and the idempotency table the services use, plus Aurora
  PostgreSQL when ``database`` is ``postgres`` or ``both``: then user records and analytics
  aggregates live in PostgreSQL (every Function gets ``RECORDS_DATABASE``, see
  :func:`records_database`, and each one that reads or writes them links the cluster);
- ``HttpApi`` with the Firebase JWT authorizer on every route but ``GET /health``: the platform
  API (``GET /me``), the identity API (profiles, roles; ``POST /internal/users`` for the
  Firebase registration hook, Google-signed), the messaging API and the media API;
- ``MediaStore`` (S3 + CloudFront + queued processing, Firebase Storage uploads synced to S3),
  the analytics collector on a ``Schedule``, ``StaticSite`` and ``Alerts``, each behind its
  feature switch.

Every Function's handler is a ``hybridstack.services`` module; links set exactly the variables
those services read (``hybridstack.services.common.settings``).

Example (``__main__.py``)::

    from reference_platform.program import build_platform

    platform = build_platform()           # reads and validates hybridstack:* config first
    platform.export()

Example (a test)::

    from reference_platform.config import parse_stack_config
    resources = run_under_mocks(lambda: build_platform(parse_stack_config({"env": "prod"})),
                                stack="prod")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from hybridstack.components.alerts import Alerts
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.database import PostgresCluster, Table
from hybridstack.components.firebase_project import FirebaseProject
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.identity import Identity
from hybridstack.components.link import IamStatement, Linkable, LinkSpec
from hybridstack.components.media_store import MediaStore, function_role_names
from hybridstack.components.realtime_store import RealtimeStore
from hybridstack.components.schedule import Schedule
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.static_site import StaticSite
from hybridstack.local_settings import local_settings
from hybridstack.services.api import routes as platform_routes
from hybridstack.services.common.routes import parse_route_key
from hybridstack.services.common.settings import RECORDS_DATABASE
from hybridstack.services.identity import missed_registrations
from hybridstack.services.identity import routes as identity_routes
from hybridstack.services.media import routes as media_routes
from hybridstack.services.messaging import routes as messaging_routes
from hybridstack.services.messaging.rules import RULES_PATH
from reference_platform.config import StackConfig, load_stack_config

API_HANDLER = "hybridstack.services.api.handler.handle"
ANALYTICS_HANDLER = "hybridstack.services.analytics.jobs.run"
ANALYTICS_SOURCES = ("youtube", "spotify", "tiktok")
MEDIA_EVENTS_HANDLER = "hybridstack.services.media.events.handle"
MEDIA_API_HANDLER = "hybridstack.services.media.api.handle"
MEDIA_SYNC_HANDLER = "hybridstack.services.media.sync.handle"
IDENTITY_API_HANDLER = "hybridstack.services.identity.api.handle"
IDENTITY_ROUTES = identity_routes.USER_ROUTES
"""The identity API's routes for signed-in users (each service declares its routes once, in
its ``routes`` module; the program routes exactly those)."""
REGISTRATION_ROUTE = identity_routes.REGISTRATION
MESSAGING_API_HANDLER = "hybridstack.services.messaging.api.handle"
MESSAGING_ROUTES = messaging_routes.ROUTES
MEDIA_ROUTES = media_routes.API_ROUTES
PUBLIC_ROUTES = platform_routes.PUBLIC_ROUTES
"""Routes served without an authorizer (everything else needs a Firebase ID token)."""
PLATFORM_ROUTES = tuple(r for r in platform_routes.ROUTES if r not in PUBLIC_ROUTES)

REALTIME_RULES_FILE = RULES_PATH
"""The platform's Firestore rules ship with the messaging service (conversations, receipts,
media status, dashboards); RealtimeStore refuses them if they ever open data to anyone."""


def records_database(config: StackConfig) -> str:
    """The value of ``RECORDS_DATABASE`` (where the services keep user records and analytics
    aggregates): ``dynamodb`` -> ``dynamodb``; ``postgres`` and ``both`` -> ``postgres`` (with
    both, the single table still holds media records, idempotency and the rest)."""
    return "dynamodb" if config.database == "dynamodb" else "postgres"


def role_name(function: str) -> str:
    """The fixed IAM role name of a platform function (CrossCloudAccess trusts it by name)."""
    return f"hybridstack-{pulumi.get_stack()}-{function}"[:64]


def _fixed_role_name(function: str) -> Any:
    def transform(args: dict[str, Any]) -> None:
        args["name"] = role_name(function)

    return transform


@dataclass
class Platform:
    """The components of one stack of the reference platform, and what it exports."""

    config: StackConfig
    firebase: FirebaseProject
    identity: Identity
    access: CrossCloudAccess
    realtime: RealtimeStore
    table: Table
    idempotency: Table
    api: HttpApi
    api_function: Function
    identity_function: Function
    messaging_function: Function | None = None
    postgres: PostgresCluster | None = None
    media: MediaStore | None = None
    media_function: Function | None = None
    site: StaticSite | None = None
    analytics_bucket: SecureBucket | None = None
    analytics_function: Function | None = None
    analytics_schedule: Schedule | None = None
    alerts: Alerts | None = None
    extra_outputs: dict[str, pulumi.Input[Any]] = field(default_factory=dict)

    @property
    def public_routes(self) -> tuple[str, ...]:
        """Every route served without an authorizer (for the policy checks)."""
        return tuple(self.api.public_routes)

    @property
    def functions(self) -> list[Function]:
        """Every Lambda of the platform (the alarms watch each)."""
        found = [
            self.api_function,
            self.identity_function,
            self.messaging_function,
            self.media_function,
            self.analytics_function,
        ]
        if self.media is not None:
            found.append(self.media.processor)
            found.append(self.media.sync_function)
        return [f for f in found if f is not None]

    def outputs(self) -> dict[str, pulumi.Input[Any]]:
        """The stack outputs: endpoints, buckets and the Firebase client config."""
        outputs: dict[str, pulumi.Input[Any]] = {
            "env": self.config.env,
            "apiUrl": self.api.url,
            "firebaseConfig": self.firebase.client_config,
            "firebaseProjectId": self.firebase.project_id,
            "jwtIssuer": self.identity.issuer,
            "jwtAudience": self.identity.audience,
            "firestoreDatabase": self.realtime.database_id,
            "gcpCredentialConfig": self.access.credential_config,
            "tableName": self.table.table_name,
            "idempotencyTableName": self.idempotency.table_name,
            "publicRoutes": list(self.public_routes),
        }
        if self.postgres is not None:
            outputs["postgresClusterArn"] = self.postgres.arn
            outputs["postgresSecretArn"] = self.postgres.secret_arn
        if self.media is not None:
            outputs["mediaBucket"] = self.media.bucket_name
            outputs["mediaCdnUrl"] = self.media.cdn_url
            outputs["mediaFirebaseBucket"] = self.media.firebase_bucket
        if self.site is not None:
            outputs["siteBucket"] = self.site.bucket_name
            outputs["siteUrl"] = self.site.url
        if self.analytics_bucket is not None:
            outputs["analyticsBucket"] = self.analytics_bucket.bucket_name
        if self.alerts is not None:
            outputs["alertsTopicArn"] = self.alerts.topic_arn
        outputs.update(self.extra_outputs)
        return outputs

    def export(self) -> None:
        """``pulumi.export`` every output of :meth:`outputs`."""
        for key, value in self.outputs().items():
            pulumi.export(key, value)


def _tables(config: StackConfig, tags: Mapping[str, str]) -> tuple[Table, Table]:
    """The single table (``DATABASE_TABLE_NAME`` for the services) and the idempotency table."""
    protect = config.protect_data
    table = Table(
        "database",
        {
            "global_secondary_indexes": [
                {"name": "GSI1", "partition_key": "GSI1PK", "sort_key": "GSI1SK"}
            ],
            "ttl_attribute": "expiresAt",
            "point_in_time_recovery": protect,
            "deletion_protection": protect,
            "tags": dict(tags),
        },
    )
    idempotency = Table(
        "idempotency",
        {
            "partition_key": "id",
            "sort_key": None,
            "ttl_attribute": "expiration",  # Powertools' idempotency records expire themselves
            "point_in_time_recovery": protect,
            "deletion_protection": protect,
            "tags": dict(tags),
        },
    )
    return table, idempotency


def _postgres(config: StackConfig, tags: Mapping[str, str]) -> PostgresCluster | None:
    """Aurora PostgreSQL (Data API) when ``config.database`` is ``postgres`` or ``both``."""
    if config.database == "dynamodb":
        return None
    return PostgresCluster(
        "catalog",
        {
            "database_name": "platform",
            "min_capacity": 0.5 if config.is_prod else 0,
            "max_capacity": 8 if config.is_prod else 2,
            "deletion_protection": config.protect_data,
            "tags": dict(tags),
        },
    )


def _local_issuer() -> str | None:
    """The local cloud's signing issuer while the program is deployed into it (None elsewhere):
    Auth-emulator identities are re-signed by it, so the API trusts it instead of Firebase."""
    settings = local_settings()
    return settings.issuer if settings is not None else None


def build_platform(config: StackConfig | None = None) -> Platform:
    """Compose the reference platform for ``config`` (default: this stack's validated config).

    Config is read and validated before the first resource is declared, so a bad value fails
    with :class:`~reference_platform.config.StackConfigError` and nothing registers.
    """
    config = config if config is not None else load_stack_config()
    project = config.firebase_project_id
    retention = config.log_retention_days
    tags = {"hybridstack:env": config.env}
    environment = {"HYBRIDSTACK_ENV": config.env, RECORDS_DATABASE: records_database(config)}

    def function_args(handler: str, links: list[Any], **extra: Any) -> dict[str, Any]:
        return {
            "handler": handler,
            "link": links,
            "environment": environment,
            "log_retention_days": retention,
            "tags": tags,
            **extra,
        }

    firebase = FirebaseProject("firebase", {"project": project, "web_app_name": "hybridstack"})
    after_firebase = pulumi.ResourceOptions(depends_on=firebase.ready)
    identity_args: dict[str, Any] = {
        "project": project,
        "authorized_domains": list(config.authorized_domains),
    }
    issuer = config.identity_issuer or _local_issuer()
    if issuer:
        identity_args["issuer"] = issuer
    identity = Identity("identity", identity_args, opts=after_firebase)

    # AWS -> GCP: these roles (fixed names, created below) may act as the platform's service
    # account; RealtimeStore and MediaStore grant that account what it needs.
    trusted = [role_name("api"), role_name("identity-api"), role_name("messaging-api")]
    if config.analytics.enabled:
        trusted.append(role_name("analytics"))
    if config.media.enabled:
        trusted += [role_name("media-api"), *function_role_names("media").values()]
    access = CrossCloudAccess(
        "xc",
        {
            "project": project,
            "trusted_aws_roles": trusted,
            # the identity API sets roles as custom claims; messaging checks that members exist
            "gcp_roles": ["roles/firebaseauth.admin"],
        },
        opts=after_firebase,
    )
    realtime = RealtimeStore(
        "realtime",
        {
            "project": project,
            "protect": config.protect_data,
            "rules_file": str(REALTIME_RULES_FILE),
            "ttl_fields": [{"collection": "presence", "field": "expireAt"}],
            "access": access,
        },
        opts=after_firebase,
    )
    table, idempotency = _tables(config, tags)
    postgres = _postgres(config, tags)
    # linked to every Function that reads or writes user records or analytics aggregates
    records: list[Linkable] = [postgres] if postgres is not None else []
    data: list[Linkable] = [table, *records]

    api_function = Function(
        "api",
        # invoked synchronously by API Gateway only: no dead-letter queue. GET /me answers from
        # the verified claims: no record store is linked.
        function_args(API_HANDLER, [realtime], dead_letter=False),
        transform={"role": _fixed_role_name("api")},
    )
    api = HttpApi(
        "api",
        {
            "authorizer": identity,
            "cors": {"allow_origins": list(config.media.cors_origins)},
            "log_retention_days": retention,
            "tags": tags,
        },
    )
    for route in PUBLIC_ROUTES:
        api.route(route, api_function, public=True)
    for route in PLATFORM_ROUTES:
        api.route(route, api_function)

    identity_function = Function(
        "identity-api",
        function_args(IDENTITY_API_HANDLER, [realtime, *data], dead_letter=False),
        transform={"role": _fixed_role_name("identity-api")},
    )
    for route in IDENTITY_ROUTES:
        api.route(route, identity_function)
    # The Firebase blocking function registers new users with a Google-signed ID token of the
    # platform's service account for exactly this URL (the handler checks the token's email).
    _, registration_path = parse_route_key(REGISTRATION_ROUTE)
    registration_url = api.url.apply(lambda url: url.rstrip("/") + registration_path)
    api.route(
        REGISTRATION_ROUTE,
        identity_function,
        authorizer=access.jwt_authorizer(audience=registration_url),
    )

    platform = Platform(
        config=config,
        firebase=firebase,
        identity=identity,
        access=access,
        realtime=realtime,
        table=table,
        idempotency=idempotency,
        api=api,
        api_function=api_function,
        identity_function=identity_function,
        postgres=postgres,
    )
    if config.media.enabled:
        _media(platform, function_args, records)
    messaging_links: list[Any] = [realtime, table]  # attachments read media records only
    if platform.media is not None:
        messaging_links.append(platform.media.read_only())
    platform.messaging_function = Function(
        "messaging-api",
        function_args(MESSAGING_API_HANDLER, messaging_links, dead_letter=False),
        transform={"role": _fixed_role_name("messaging-api")},
    )
    for route in MESSAGING_ROUTES:
        api.route(route, platform.messaging_function)
    if config.static_site.enabled:
        platform.site = StaticSite("web", {"enabled": config.static_site.cdn, "tags": tags})
    if config.analytics.enabled:
        _analytics(platform, function_args, records)
    platform.alerts = _alerts(platform, tags)
    return platform


def _media(platform: Platform, function_args: Any, records: list[Linkable]) -> None:
    """MediaStore (S3 + CloudFront + processing, Firebase Storage sync) and the media API.

    The processor counts storage against the owner's record and the API creates the record
    lazily, so both link ``records``; the sync function touches no record."""
    config = platform.config
    shared = [platform.table, platform.idempotency, platform.realtime]
    tags = {"hybridstack:env": config.env}
    media = MediaStore(
        "media",
        {
            "processing_handler": MEDIA_EVENTS_HANDLER,
            "processing": {
                "environment": function_args("", [])["environment"],
                "log_retention_days": config.log_retention_days,
                # the realtime link carries the cross-cloud credentials the status updates use
                "link": [platform.realtime, *records],
                "tags": tags,
            },
            # Firebase Storage uploads -> Pub/Sub push -> the sync Function -> S3
            "uploads": {
                "project": config.firebase_project_id,
                "api": platform.api,
                "access": platform.access,
                "sync_handler": MEDIA_SYNC_HANDLER,
                "sync": {
                    "environment": function_args("", [])["environment"],
                    "log_retention_days": config.log_retention_days,
                    "tags": tags,
                },
            },
            "link": [platform.table, platform.idempotency],
            "cors_origins": list(config.media.cors_origins),
            "cdn": config.media.cdn,
            "noncurrent_version_days": config.media.retention_days,
        },
    )
    media_function = Function(
        "media-api",
        function_args(MEDIA_API_HANDLER, [media, *shared, *records], dead_letter=False),
        transform={"role": _fixed_role_name("media-api")},
    )
    for route in MEDIA_ROUTES:
        platform.api.route(route, media_function)
    platform.media = media
    platform.media_function = media_function


def _analytics(platform: Platform, function_args: Any, records: list[Linkable]) -> None:
    """The raw analytics bucket, the collector Function (aggregates go to ``records`` when
    linked) and its Schedule."""
    config = platform.config
    bucket = SecureBucket(
        "analytics-raw",
        {
            "lifecycle_rules": [
                {
                    "id": "expire-raw",
                    "status": "Enabled",
                    "filter": {"prefix": "raw/"},
                    "expiration": {"days": config.media.retention_days},
                }
            ],
            "tags": {"hybridstack:env": config.env},
        },
    )
    # The live sources' API tokens (values are set out of band: `aws secretsmanager
    # put-secret-value`); the collector may read these three secrets and nothing else.
    tokens = []
    for source in ANALYTICS_SOURCES:
        secret = aws.secretsmanager.Secret(
            f"{source}-token",
            description=f"API token of the {source} analytics source (hybridstack)",
            recovery_window_in_days=30 if config.protect_data else 0,
            tags={"hybridstack:env": config.env},
        )
        tokens.append(
            LinkSpec(
                statements=[IamStatement(["secretsmanager:GetSecretValue"], [secret.arn])],
                environment={f"{source.upper()}_TOKEN_SECRET_ARN": secret.arn},
            )
        )
    links = [bucket, platform.table, platform.realtime, *records, *tokens]
    collector = Function(
        "analytics",
        function_args(ANALYTICS_HANDLER, links, timeout=300),
        transform={"role": _fixed_role_name("analytics")},
    )
    schedule = Schedule(
        "analytics-schedule",
        {
            "function": collector,
            "schedule": config.analytics.schedule,
            "input": {"sources": list(ANALYTICS_SOURCES)},
            "tags": {"hybridstack:env": config.env},
        },
    )
    platform.analytics_bucket = bucket
    platform.analytics_function = collector
    platform.analytics_schedule = schedule


def _alerts(platform: Platform, tags: Mapping[str, str]) -> Alerts:
    """Alarms on every function, the API and every dead-letter queue; the monthly budget."""
    settings = platform.config.alerts
    alerts = Alerts(
        "ops",
        {
            "emails": [settings.email] if settings.email else [],
            "monthly_budget_usd": settings.budget_usd,
            "budget_thresholds_percent": list(settings.budget_thresholds_percent),
            "tags": dict(tags),
        },
    )
    for function in platform.functions:
        alerts.watch_function(function, error_rate_percent=settings.error_rate_percent)
    alerts.watch_api(platform.api, latency_ms=settings.latency_ms)
    if platform.analytics_schedule is not None:
        alerts.watch_queue(platform.analytics_schedule)
    alerts.watch_count(
        "missed-registrations",
        namespace=missed_registrations.NAMESPACE,
        metric_name=missed_registrations.METRIC,
        description="users signed up whose registration with the API failed (their record was "
        "created on their first call; the blocking function's log names each uid and reason)",
    )
    return alerts
