"""The environment variables the services read, in one place, with errors that name them.

Components set these through links (``components/link.py``), and both sides name them with the
same rule (:func:`~hybridstack.services.common.links.link_variable`): a linked resource named
``media`` sets ``MEDIA_BUCKET_NAME``, a RealtimeStore named ``realtime`` sets
``REALTIME_FIRESTORE_*``, a CrossCloudAccess sets ``<NAME>_GCP_CREDENTIALS`` /
``<NAME>_GOOGLE_CALLER``. The constants below say which link names the services expect.
No endpoint URL is ever read here: boto3 follows ``AWS_ENDPOINT_URL`` and the Google clients
``*_EMULATOR_HOST``.

Example:
    bucket = require(MEDIA_BUCKET)             # "media-bucket-1a2b" or a MissingSettingError
    creds = by_suffix(GCP_CREDENTIALS_SUFFIX)  # the one linked credential config, if any
    records_database()                         # "dynamodb" or "postgres" (RECORDS_DATABASE)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, cast

from hybridstack.services.common import links
from hybridstack.services.common.links import link_variable

RecordsDatabase = Literal["dynamodb", "postgres"]

MEDIA_BUCKET = link_variable("media", links.BUCKET_NAME)
"""The S3 media bucket (architecture B's prefixes), linked as ``media``."""
MEDIA_CDN_URL = link_variable("media", links.CDN_URL)
"""Optional base URL of the CDN in front of the media bucket (``https://dxxx.cloudfront.net``)."""
DATABASE_TABLE = link_variable("database", links.TABLE_NAME)
"""The DynamoDB single table (``PK``/``SK``) holding users, media records and aggregates."""
IDEMPOTENCY_TABLE = link_variable("idempotency", links.TABLE_NAME)
"""The DynamoDB table (partition key ``id``) of Powertools' idempotency records."""
ANALYTICS_RAW_BUCKET = link_variable("analytics-raw", links.BUCKET_NAME)
"""The S3 bucket for raw analytics pages (partitioned by date)."""
REALTIME_PROJECT = link_variable("realtime", links.FIRESTORE_PROJECT)
REALTIME_DATABASE = link_variable("realtime", links.FIRESTORE_DATABASE)
REALTIME_PREFIX = link_variable("realtime", links.FIRESTORE_COLLECTION_PREFIX)
ANALYTICS_SOURCE_MODE = "ANALYTICS_SOURCE_MODE"
"""``generated`` (deterministic, for local runs) or ``live`` (the platforms' APIs)."""
HYBRIDSTACK_ENV = "HYBRIDSTACK_ENV"
"""The stack's environment (``local``, ``dev``, ``prod``); only ``local`` may use emulators."""
RECORDS_DATABASE = "RECORDS_DATABASE"
"""Where user records and analytics aggregates live: ``dynamodb`` (the single table linked as
``database``) or ``postgres`` (the PostgresCluster linked to the function, through the RDS Data
API). The platform sets it from its ``database`` config; when unset, :func:`records_database`
picks ``postgres`` if a cluster is linked (a ``<NAME>_CLUSTER_ARN`` variable), else ``dynamodb``."""
RECORDS_DATABASES: tuple[RecordsDatabase, ...] = ("dynamodb", "postgres")
NOT_LINKED = frozenset({ANALYTICS_SOURCE_MODE})
"""Optional variables an operator sets by hand: no link provides them (the contract test of
``tests/unit/contracts`` requires every other variable read here to come from a link)."""
CLUSTER_ARN_SUFFIX = links.any_link(links.CLUSTER_ARN)
"""The suffix of the variable a linked PostgresCluster sets (``CATALOG_CLUSTER_ARN``)."""
GCP_CREDENTIALS_SUFFIX = links.any_link(links.GCP_CREDENTIALS)
"""The one linked CrossCloudAccess's credentials (``XC_GCP_CREDENTIALS``), whatever its name."""
GCP_PROJECT_SUFFIX = links.any_link(links.GCP_PROJECT)
GOOGLE_CALLER_SUFFIX = links.any_link(links.GOOGLE_CALLER)
"""The Google identity allowed to call the registration route (``XC_GOOGLE_CALLER``)."""
PUSH_SERVICE_ACCOUNT_SUFFIX = links.any_link(links.PUSH_SERVICE_ACCOUNT)
FIREBASE_BUCKET_SUFFIX = links.any_link(links.FIREBASE_BUCKET)
"""A MediaStore's push service account and Firebase bucket (read by the sync adapter)."""


class MissingSettingError(RuntimeError):
    """A variable the code needs is not set: the message names it and what sets it."""


def require(name: str, env: Mapping[str, str] | None = None) -> str:
    """The value of ``name``, or an error naming the variable and how it is normally set."""
    value = (env if env is not None else os.environ).get(name)
    if not value:
        raise MissingSettingError(
            f"environment variable {name} is not set: link the resource to this function "
            '(Function(name, {"link": [...]})) or export it for local runs'
        )
    return value


def name_by_suffix(suffix: str, env: Mapping[str, str] | None = None) -> str | None:
    """The NAME of the one set variable ending in ``suffix`` (its prefix names the link).

    None when there is none; an error when several would make the choice ambiguous.
    """
    source = env if env is not None else os.environ
    found = sorted(name for name in source if name.endswith(suffix) and source[name])
    if len(found) > 1:
        raise MissingSettingError(
            f"several variables end in {suffix}: {', '.join(found)}; link only one"
        )
    return found[0] if found else None


def by_suffix(suffix: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of the one variable ending in ``suffix`` (set by a link whose name we don't
    assume); None when there is none, an error when there are several."""
    source = env if env is not None else os.environ
    name = name_by_suffix(suffix, source)
    return source[name] if name else None


def records_database(env: Mapping[str, str] | None = None) -> RecordsDatabase:
    """``dynamodb`` or ``postgres``: where user records and aggregates live.

    ``RECORDS_DATABASE`` when set (any other value is a MissingSettingError naming the variable
    and the values it takes); else ``postgres`` when a cluster is linked, else ``dynamodb``.

    Example:
        records_database({"RECORDS_DATABASE": "postgres"})          # "postgres"
        records_database({"CATALOG_CLUSTER_ARN": "arn:aws:rds:..."})  # "postgres" (inferred)
    """
    source = env if env is not None else os.environ
    value = source.get(RECORDS_DATABASE, "").strip().lower()
    if not value:
        return "postgres" if by_suffix(CLUSTER_ARN_SUFFIX, source) else "dynamodb"
    if value not in RECORDS_DATABASES:
        raise MissingSettingError(
            f"environment variable {RECORDS_DATABASE}={source[RECORDS_DATABASE]!r} is not "
            f"supported: use one of {', '.join(RECORDS_DATABASES)}"
        )
    return cast(RecordsDatabase, value)
