"""RealtimeStore: a Firestore database with checked security rules, indexes, TTL and AWS access.

Creates (or adopts) a Firestore database in Native mode — point-in-time recovery and delete
protection on production stacks — releases security rules to it (a ruleset plus the
``cloud.firestore`` release), creates composite indexes and TTL fields, and lets AWS code write
to it through :class:`~hybridstack.components.cross_cloud_access.CrossCloudAccess`: the
federated service account is granted ``roles/datastore.user`` on this database only.

Rules come from ``rules`` (text) or ``rules_file`` (a path) and are refused before anything
registers if they leave data open to anyone (see
:mod:`hybridstack.components.firestore_rules`); without either, clients get no access at all.

Linking the store to a Function sets ``<NAME>_FIRESTORE_PROJECT``,
``<NAME>_FIRESTORE_DATABASE`` and ``<NAME>_FIRESTORE_COLLECTION_PREFIX``, plus the
CrossCloudAccess variables (``<ACCESS>_GCP_CREDENTIALS`` ...) the Firestore client authenticates
with. The code::

    creds, _ = google.auth.load_credentials_from_dict(json.loads(os.environ["XC_GCP_CREDENTIALS"]))
    db = firestore.Client(project=os.environ["CHAT_FIRESTORE_PROJECT"],
                          database=os.environ["CHAT_FIRESTORE_DATABASE"], credentials=creds)

Example:
    access = CrossCloudAccess("xc", project="acme-prod", trusted_aws_roles=["media-processor"])
    chat = RealtimeStore("chat", project="acme-prod", rules_file="firestore.rules",
                         indexes=[{"collection": "messages",
                                   "fields": [("conversationId", "ASCENDING"),
                                              ("sentAt", "DESCENDING")]}],
                         ttl_fields=[{"collection": "typing", "field": "expireAt"}],
                         access=access)
    Function("processor", {"handler": "hybridstack.services.media.handler.process",
                           "link": [chat]})
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.firestore_rules import (
    OpenRulesError,
    load_rules,
    validate_firestore_rules,
)
from hybridstack.components.link import LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

DEFAULT_DATABASE = "(default)"
ORDERS = ("ASCENDING", "DESCENDING")
ARRAY_CONTAINS = "CONTAINS"
QUERY_SCOPES = ("COLLECTION", "COLLECTION_GROUP")
ACCESS_ROLES = ("roles/datastore.user", "roles/datastore.viewer")
_DATABASE_ID = re.compile(r"^[a-z][a-z0-9-]{2,61}[a-z0-9]$")
_COLLECTION = re.compile(r"^[^/]{1,1500}$")
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$|^`[^`]+`$")


class IndexSpec(TypedDict, total=False):
    """A composite index: a collection and two or more ``(field, order)`` pairs."""

    collection: str
    """The collection (id, not path) the index serves."""
    fields: Sequence[tuple[str, str]]
    """``(field_path, "ASCENDING" | "DESCENDING" | "CONTAINS")`` in query order."""
    query_scope: str
    """``COLLECTION`` (default) or ``COLLECTION_GROUP``."""


class TtlFieldSpec(TypedDict):
    """A timestamp field whose documents Firestore deletes once the time has passed."""

    collection: str
    field: str


class RealtimeStoreArgs(TypedDict, total=False):
    """The Firestore database, who may do what in it, and how it is queried."""

    project: pulumi.Input[str]
    """The Firebase/Google Cloud project id (required)."""
    database_id: str
    """``(default)`` (default) or a named database (4-63 of a-z 0-9 -)."""
    location: str
    """The database location, e.g. ``nam5`` (default), ``eur3``, ``europe-west1``."""
    create_database: bool
    """Create the database (default True); False adopts an existing one (rules etc. still apply)."""
    protect: bool
    """Point-in-time recovery, delete protection and keep-on-destroy (default: production stack)."""
    rules: str
    """Security rules as text (checked; open rules are refused)."""
    rules_file: str
    """Path of a security rules file (checked; open rules are refused)."""
    indexes: Sequence[IndexSpec]
    """Composite indexes."""
    ttl_fields: Sequence[TtlFieldSpec]
    """TTL policies: documents expire at the timestamp in ``field``."""
    collection_prefix: str
    """A prefix the service code puts before collection names (per-environment data in one
    database); exposed as ``<NAME>_FIRESTORE_COLLECTION_PREFIX``."""
    access: CrossCloudAccess
    """AWS -> GCP access whose service account may read and write this database."""
    access_role: str
    """The role granted to ``access``: ``roles/datastore.user`` (default) or
    ``roles/datastore.viewer`` (read only)."""


def rules_release_name(database_id: str) -> str:
    """The Firebase Rules release a database reads: ``cloud.firestore[/<database>]``."""
    return (
        "cloud.firestore" if database_id == DEFAULT_DATABASE else f"cloud.firestore/{database_id}"
    )


def index_fields(owner: str, spec: IndexSpec, position: int) -> list[dict[str, str]]:
    """The ``fields`` of a ``gcp.firestore.Index`` from an :class:`IndexSpec` (validated)."""
    where = f"{owner}: indexes[{position}]"
    collection = spec.get("collection")
    if not isinstance(collection, str) or not _COLLECTION.match(collection):
        raise ComponentArgsError(f"{where}.collection {collection!r} must be a collection id")
    pairs = list(spec.get("fields") or ())
    if len(pairs) < 2:
        raise ComponentArgsError(
            f"{where}.fields needs at least two (field, order) pairs; Firestore indexes single "
            "fields by itself"
        )
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ComponentArgsError(f"{where}.fields entry {pair!r} must be (field, order)")
        field, order = pair
        if not isinstance(field, str) or not _FIELD_PATH.match(field):
            raise ComponentArgsError(f"{where}.fields: {field!r} is not a field path")
        if field in seen:
            raise ComponentArgsError(f"{where}.fields: {field!r} appears twice")
        seen.add(field)
        if order == ARRAY_CONTAINS:
            out.append({"field_path": field, "array_config": ARRAY_CONTAINS})
        elif order in ORDERS:
            out.append({"field_path": field, "order": order})
        else:
            raise ComponentArgsError(
                f"{where}.fields: order {order!r} of {field!r} must be one of "
                f"{', '.join((*ORDERS, ARRAY_CONTAINS))}"
            )
    scope = spec.get("query_scope", "COLLECTION")
    if scope not in QUERY_SCOPES:
        raise ComponentArgsError(
            f"{where}.query_scope {scope!r} must be one of {', '.join(QUERY_SCOPES)}"
        )
    return out


def database_condition_expression(project: str, database_id: str) -> str:
    """The IAM condition restricting a Firestore role to one database."""
    return f'resource.name == "projects/{project}/databases/{database_id}"'


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


class RealtimeStore(HybridComponent):
    """A Firestore database with checked rules, indexes, TTL fields and AWS write access.

    Example:
        chat = RealtimeStore("chat", project="acme-dev", rules_file="firestore.rules")
        Function("api", {"handler": "hybridstack.services.api.handler.handle", "link": [chat]})
    """

    TYPE: ClassVar[str] = "hybridstack:index:RealtimeStore"
    CHILD_ROLES: ClassVar[tuple[str, ...]] = (
        "database",
        "ruleset",
        "release",
        "index",
        "ttl_field",
        "access_grant",
    )

    project: pulumi.Output[str]
    database_id: pulumi.Output[str]
    """The database id (``(default)`` or the named database)."""
    database_name: pulumi.Output[str]
    """``projects/<project>/databases/<id>``."""
    rules_source: str
    """The released security rules (checked)."""
    point_in_time_recovery: bool
    delete_protection: bool

    def __init__(
        self,
        name: str,
        args: RealtimeStoreArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        merged: dict[str, Any] = {**(args or {}), **kwargs}
        owner = f"RealtimeStore {name!r}"
        settings = _validate(owner, merged)
        super().__init__(name, transform=transform, opts=opts)

        project: pulumi.Input[str] = merged["project"]
        database_id: str = settings["database_id"]
        protect: bool = settings["protect"]
        self.project = pulumi.Output.from_input(project)
        self.database_id = pulumi.Output.from_input(database_id)
        self.database_name = pulumi.Output.concat(
            "projects/", self.project, "/databases/", database_id
        )
        self.rules_source = settings["rules"]
        self.point_in_time_recovery = protect
        self.delete_protection = protect
        self._collection_prefix = merged.get("collection_prefix", "")
        self._access: CrossCloudAccess | None = merged.get("access")

        depends: list[pulumi.Resource] = []
        if merged.get("create_database", True):
            database = self.child(
                "database",
                gcp.firestore.Database,
                f"{name}-db",
                {
                    "project": project,
                    "name": database_id,
                    "location_id": settings["location"],
                    "type": "FIRESTORE_NATIVE",
                    "concurrency_mode": "OPTIMISTIC",
                    "app_engine_integration_mode": "DISABLED",
                    "point_in_time_recovery_enablement": "POINT_IN_TIME_RECOVERY_ENABLED"
                    if protect
                    else "POINT_IN_TIME_RECOVERY_DISABLED",
                    "delete_protection_state": "DELETE_PROTECTION_ENABLED"
                    if protect
                    else "DELETE_PROTECTION_DISABLED",
                    "deletion_policy": "ABANDON" if protect else "DELETE",
                },
            )
            depends.append(database)
        after_db = pulumi.ResourceOptions(depends_on=depends)

        ruleset = self.child(
            "ruleset",
            gcp.firebaserules.Ruleset,
            f"{name}-rules",
            {
                "project": project,
                "source": {"files": [{"name": "firestore.rules", "content": self.rules_source}]},
            },
            opts=after_db,
        )
        self.child(
            "release",
            gcp.firebaserules.Release,
            f"{name}-rules",
            {
                "project": project,
                "name": rules_release_name(database_id),
                "ruleset_name": pulumi.Output.concat(
                    "projects/", self.project, "/rulesets/", ruleset.name
                ),
            },
        )
        for position, spec in enumerate(merged.get("indexes") or ()):
            fields = index_fields(owner, spec, position)
            slug = "-".join(_slug(f["field_path"]) for f in fields)
            self.child(
                "index",
                gcp.firestore.Index,
                f"{name}-{_slug(spec['collection'])}-{slug}",
                {
                    "project": project,
                    "database": database_id,
                    "collection": spec["collection"],
                    "query_scope": spec.get("query_scope", "COLLECTION"),
                    "fields": fields,
                },
                opts=after_db,
            )
        for spec in merged.get("ttl_fields") or ():
            self.child(
                "ttl_field",
                gcp.firestore.Field,
                f"{name}-{_slug(spec['collection'])}-{_slug(spec['field'])}-ttl",
                {
                    "project": project,
                    "database": database_id,
                    "collection": spec["collection"],
                    "field": spec["field"],
                    "ttl_config": {},
                    # Expiry timestamps grow monotonically: exempt them from single-field
                    # indexes, which would otherwise hot-spot.
                    "index_config": {},
                },
                opts=after_db,
            )
        if self._access is not None:
            role = settings["access_role"]
            self.child(
                "access_grant",
                gcp.projects.IAMMember,
                f"{name}-{self._access.component_name}-{role.rsplit('.', 1)[-1]}",
                {
                    "project": project,
                    "role": role,
                    "member": self._access.service_account_member,
                    "condition": {
                        "title": f"{name} database only"[:100],
                        "description": f"{role} on the {database_id} Firestore database only",
                        "expression": self.project.apply(
                            lambda p: database_condition_expression(p, database_id)
                        ),
                    },
                },
            )
        self.register_outputs(
            {
                "project": self.project,
                "databaseId": self.database_id,
                "databaseName": self.database_name,
                "pointInTimeRecovery": protect,
                "deleteProtection": protect,
            }
        )

    def link_spec(self) -> LinkSpec:
        """Where the data is (and, with ``access``, the credentials to reach it from AWS)."""
        prefix = env_prefix(self.component_name)
        environment: dict[str, pulumi.Input[str]] = {
            f"{prefix}_FIRESTORE_PROJECT": self.project,
            f"{prefix}_FIRESTORE_DATABASE": self.database_id,
            f"{prefix}_FIRESTORE_COLLECTION_PREFIX": self._collection_prefix,
        }
        statements: list[Any] = []
        if self._access is not None:
            access_spec = self._access.link_spec()
            environment.update(access_spec.environment)
            statements.extend(access_spec.statements)
        return LinkSpec(statements=statements, environment=environment)


def _validate(owner: str, merged: dict[str, Any]) -> dict[str, Any]:
    known = set(RealtimeStoreArgs.__annotations__)
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ComponentArgsError(
            f"{owner}: unknown argument(s) {', '.join(unknown)}; "
            f"the arguments are: {', '.join(sorted(known))}"
        )
    if not merged.get("project"):
        raise ComponentArgsError(f"{owner}: project (the Firebase project id) is required")
    database_id = merged.get("database_id", DEFAULT_DATABASE)
    if database_id != DEFAULT_DATABASE and not _DATABASE_ID.match(str(database_id)):
        raise ComponentArgsError(
            f"{owner}: database_id {database_id!r} must be '(default)' or 4-63 characters of "
            "a-z, 0-9 and '-', starting with a letter"
        )
    location = merged.get("location", "nam5")
    if not isinstance(location, str) or not re.match(r"^[a-z0-9-]+$", location):
        raise ComponentArgsError(f"{owner}: location {location!r} is not a Firestore location")
    try:
        text, origin = load_rules(text=merged.get("rules"), path=merged.get("rules_file"))
        rules = validate_firestore_rules(text, origin=origin)
    except (OpenRulesError, FileNotFoundError) as error:
        raise ComponentArgsError(f"{owner}: {error}") from None
    except ValueError as error:
        raise ComponentArgsError(f"{owner}: rules/rules_file: {error}") from None
    for position, spec in enumerate(merged.get("indexes") or ()):
        index_fields(owner, spec, position)
    for position, spec in enumerate(merged.get("ttl_fields") or ()):
        collection, field = spec.get("collection"), spec.get("field")
        if not isinstance(collection, str) or not _COLLECTION.match(collection):
            raise ComponentArgsError(
                f"{owner}: ttl_fields[{position}].collection {collection!r} must be a collection id"
            )
        if not isinstance(field, str) or not _FIELD_PATH.match(field):
            raise ComponentArgsError(
                f"{owner}: ttl_fields[{position}].field {field!r} is not a field path"
            )
    prefix = merged.get("collection_prefix", "")
    if not isinstance(prefix, str) or "/" in prefix:
        raise ComponentArgsError(f"{owner}: collection_prefix {prefix!r} may not contain '/'")
    access = merged.get("access")
    if access is not None and not isinstance(access, CrossCloudAccess):
        raise ComponentArgsError(f"{owner}: access must be a CrossCloudAccess, not {access!r}")
    role = merged.get("access_role", ACCESS_ROLES[0])
    if role not in ACCESS_ROLES:
        raise ComponentArgsError(
            f"{owner}: access_role {role!r} must be one of {', '.join(ACCESS_ROLES)}"
        )
    protect = merged.get("protect")
    if protect is None:
        protect = is_production()
    elif not isinstance(protect, bool):
        raise ComponentArgsError(f"{owner}: protect must be True or False, not {protect!r}")
    return {
        "database_id": database_id,
        "location": location,
        "rules": rules,
        "protect": protect,
        "access_role": role,
    }
