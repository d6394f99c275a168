"""How a link names the environment variables it sets: the one rule both sides use.

Linking a resource to a Function (``Function(name, {"link": [media]})``) sets variables named
``<PREFIX>_<SUFFIX>``: the prefix comes from the linked resource's logical name
(:func:`env_prefix`: ``media-store`` -> ``MEDIA_STORE``), the suffix says what the value is
(``BUCKET_NAME``, ``TABLE_NAME``, ...). The components build the names they set with
:func:`link_variable`, and the services (``settings.py``) build the names they read with it, so
the two can't drift apart. It lives with the services because they are shipped to Lambda
without the components; ``hybridstack.components.link`` imports it from here.

Example:
    link_variable("media", BUCKET_NAME)        # "MEDIA_BUCKET_NAME"
    link_variable("analytics-raw", BUCKET_NAME)  # "ANALYTICS_RAW_BUCKET_NAME"
    env_prefix("3d.models")                    # "R_3D_MODELS"
"""

from __future__ import annotations

import re

BUCKET_NAME = "BUCKET_NAME"
"""An S3 bucket's name (SecureBucket; MediaStore's media bucket)."""
BUCKET = "BUCKET"
"""A MediaStore's S3 bucket name (besides its media bucket's own ``BUCKET_NAME``)."""
CDN_URL = "CDN_URL"
"""The base URL of the CDN in front of a MediaStore (empty without CloudFront)."""
FIREBASE_BUCKET = "FIREBASE_BUCKET"
"""The Firebase Storage bucket whose uploads a MediaStore syncs."""
PUSH_SERVICE_ACCOUNT = "PUSH_SERVICE_ACCOUNT"
"""The service account whose Google-signed token a MediaStore's Pub/Sub pushes carry."""
PUSH_AUDIENCE = "PUSH_AUDIENCE"
"""The audience of those tokens: the endpoint FirebaseUploads pushes object events to."""
TABLE_NAME = "TABLE_NAME"
"""A DynamoDB table's name (Table)."""
FUNCTION_NAME = "FUNCTION_NAME"
FUNCTION_ARN = "FUNCTION_ARN"
"""A Function's name and ARN (what invoking it needs)."""
KEY_ARN = "KEY_ARN"
"""A KMS key's ARN (Key)."""
FIREBASE_PROJECT = "FIREBASE_PROJECT"
TOKEN_ISSUER = "TOKEN_ISSUER"
"""A FirebaseProject's or Identity's project id, and Identity's ID-token issuer."""
QUEUE_URL = "QUEUE_URL"
"""An SQS queue's URL (Queue)."""
CLUSTER_ARN = "CLUSTER_ARN"
"""A PostgresCluster's ARN (with ``SECRET_ARN`` and ``DATABASE``, the RDS Data API's three)."""
SECRET_ARN = "SECRET_ARN"
"""A Secrets Manager secret's ARN (Secret; a PostgresCluster's credentials)."""
DATABASE = "DATABASE"
"""A PostgresCluster's database name."""
FIRESTORE_PROJECT = "FIRESTORE_PROJECT"
FIRESTORE_DATABASE = "FIRESTORE_DATABASE"
FIRESTORE_COLLECTION_PREFIX = "FIRESTORE_COLLECTION_PREFIX"
"""A RealtimeStore's project, database and collection prefix."""
GCP_CREDENTIALS = "GCP_CREDENTIALS"
GCP_PROJECT = "GCP_PROJECT"
GOOGLE_CALLER = "GOOGLE_CALLER"
"""A CrossCloudAccess's credential config, project and the Google identity allowed to call."""


def env_prefix(name: str) -> str:
    """The environment-variable prefix for a logical name: ``media-store`` -> ``MEDIA_STORE``."""
    prefix = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    if not prefix:
        raise ValueError(f"cannot derive an environment variable name from {name!r}")
    if prefix[0].isdigit():
        prefix = f"R_{prefix}"
    return prefix


def link_variable(name: str, suffix: str) -> str:
    """The variable a link of the resource named ``name`` sets for ``suffix``."""
    return f"{env_prefix(name)}_{suffix}"


def any_link(suffix: str) -> str:
    """The ending shared by every link's ``suffix`` variable (``_GCP_CREDENTIALS``), for a
    service that reads the one linked resource of a kind whatever its name."""
    return f"_{suffix}"
