"""SDK clients made the same way on AWS and on the local cloud: no endpoint URL in code.

boto3 reads ``AWS_ENDPOINT_URL`` (set only on the local cloud); the Google clients read
``FIRESTORE_EMULATOR_HOST`` / ``STORAGE_EMULATOR_HOST``, and firebase-admin
``FIREBASE_AUTH_EMULATOR_HOST``. Against emulators, Google clients get anonymous credentials;
in the cloud, a Lambda uses the linked Workload Identity credential config
(``<NAME>_GCP_CREDENTIALS``) and GCP code its default credentials. Clients are cached per process
(Lambda reuses them across invocations); :func:`reset_clients` forgets them (tests, env changes).

Example:
    s3 = aws_client("s3")
    db = firestore_client()
    app = firebase_app()    # firebase_admin.auth.verify_id_token(token, app=app)
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3

from hybridstack.services.common import settings
from hybridstack.services.common.emulation import check_auth_emulator_is_local, using_emulator


@cache
def aws_client(service: str) -> Any:
    """A boto3 client for ``service`` (endpoint from the environment, never from code)."""
    return boto3.client(service)  # type: ignore[call-overload]


@cache
def dynamodb_table(name: str) -> Any:
    """A boto3 DynamoDB ``Table`` resource."""
    return boto3.resource("dynamodb").Table(name)


def google_credentials() -> tuple[Any, str | None]:
    """(credentials, project) for Google APIs: anonymous on emulators, else linked or default."""
    from google.auth.credentials import AnonymousCredentials

    emulated = any(
        using_emulator(name) for name in ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")
    )
    project = os.environ.get(settings.REALTIME_PROJECT) or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if emulated:
        return AnonymousCredentials(), project
    config = settings.by_suffix(settings.GCP_CREDENTIALS_SUFFIX)
    if config:
        import google.auth

        credentials, _ = google.auth.load_credentials_from_dict(json.loads(config))
        return credentials, project or settings.by_suffix(settings.GCP_PROJECT_SUFFIX)
    import google.auth

    credentials, default_project = google.auth.default()
    return credentials, project or default_project


@cache
def firestore_client() -> Any:
    """A Firestore client for the linked RealtimeStore (or the emulator)."""
    from google.cloud import firestore

    credentials, project = google_credentials()
    database = os.environ.get(settings.REALTIME_DATABASE) or "(default)"
    return firestore.Client(project=project, credentials=credentials, database=database)


@cache
def storage_client() -> Any:
    """A Google Cloud Storage client (Firebase Storage; fake-gcs-server locally)."""
    from google.cloud import storage

    if using_emulator("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        project = os.environ.get("GOOGLE_CLOUD_PROJECT")
        return storage.Client(project=project, credentials=AnonymousCredentials())
    credentials, project = google_credentials()
    return storage.Client(project=project, credentials=credentials)


@cache
def firebase_app() -> Any:
    """The firebase-admin app: anonymous credentials against the Auth emulator (local only)."""
    import firebase_admin

    check_auth_emulator_is_local()
    name = "hybridstack-services"
    try:
        return firebase_admin.get_app(name)
    except ValueError:
        pass  # not initialised yet
    if using_emulator("FIREBASE_AUTH_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        credentials: Any = AnonymousCredentials()
        project = os.environ.get(settings.REALTIME_PROJECT) or os.environ.get(
            "GOOGLE_CLOUD_PROJECT"
        )
    else:
        credentials, project = google_credentials()
    options = {"projectId": project} if project else {}
    return firebase_admin.initialize_app(credentials, options=options, name=name)


def collection(name: str) -> str:
    """A collection name with the linked store's prefix (``REALTIME_..._COLLECTION_PREFIX``)."""
    return f"{os.environ.get(settings.REALTIME_PREFIX, '')}{name}"


def reset_clients() -> None:
    """Forget every cached client (the next call builds new ones from the environment)."""
    import firebase_admin

    from hybridstack.services.common.postgres import database

    for factory in (aws_client, dynamodb_table, firestore_client, storage_client, database):
        factory.cache_clear()
    if firebase_app.cache_info().currsize:
        app = firebase_app()
        firebase_app.cache_clear()
        firebase_admin.delete_app(app)
