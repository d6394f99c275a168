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
    access = CrossCloudAccess("xc", {"project": "acme-prod",
                                     "trusted_aws_roles": ["media-processor"]})
    chat = RealtimeStore("chat", {
        "project": "acme-prod",
        "rules_file": "firestore.rules",
        "indexes": [{"collection": "messages",
                     "fields": [("conversationId", "ASCENDING"), ("sentAt", "DESCENDING")]}],
        "ttl_fields": [{"collection": "typing", "field": "expireAt"}],
        "access": access,
    })
    Function("processor", {"handler": "hybridstack.services.media.events.handle",
                           "link": [chat]},
             transform={"role": with_role_name("media-processor")})
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.args import ComponentArgs, ComponentArgsError, one_of, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.firestore_rules import (
    OpenRulesError,
    load_rules,
    validate_firestore_rules,
)
from hybridstack.components.link import LinkSpec, link_variable
from hybridstack.components.rules_release import release_rules
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import (
    FIRESTORE_COLLECTION_PREFIX,
    FIRESTORE_DATABASE,
    FIRESTORE_PROJECT,
)

DEFAULT_DATABASE = "(default)"
DEFAULT_LOCATION = "nam5"
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


def rules_release_name(database_id: str) -> str:
    """The Firebase Rules release a database reads: ``cloud.firestore[/<database>]``."""
    return (
        "cloud.firestore" if database_id == DEFAULT_DATABASE else f"cloud.firestore/{database_id}"
    )


def index_fields(spec: IndexSpec, position: int) -> list[dict[str, str]]:
    """The ``fields`` of a ``gcp.firestore.Index`` from ``indexes[position]`` (validated)."""
    where = f"indexes[{position}]"
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


def ttl_field_errors(spec: Any, position: int) -> str | None:
    """Why ``ttl_fields[position]`` is not a (collection, field) pair, or None."""
    where = f"ttl_fields[{position}]"
    if not isinstance(spec, Mapping):
        return f"{where} must be {{'collection': ..., 'field': ...}}, not {spec!r}"
    collection, field_path = spec.get("collection"), spec.get("field")
    if not isinstance(collection, str) or not _COLLECTION.match(collection):
        return f"{where}.collection {collection!r} must be a collection id"
    if not isinstance(field_path, str) or not _FIELD_PATH.match(field_path):
        return f"{where}.field {field_path!r} is not a field path"
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


@dataclass(frozen=True, kw_only=True)
class RealtimeStoreArgs(ComponentArgs):
    """The Firestore database, who may do what in it, and how it is queried."""

    project: pulumi.Input[str]
    """The Firebase/Google Cloud project id (required)."""
    database_id: str = DEFAULT_DATABASE
    """``(default)`` or a named database (4-63 of a-z 0-9 -)."""
    location: str = DEFAULT_LOCATION
    """The database location, e.g. ``nam5``, ``eur3``, ``europe-west1``."""
    create_database: bool = True
    """Create the database; False adopts an existing one (rules etc. still apply)."""
    protect: bool | None = None
    """Point-in-time recovery, delete protection and keep-on-destroy (default: on production
    stacks only)."""
    rules: str | None = None
    """Security rules as text (checked; open rules are refused)."""
    rules_file: str | None = None
    """Path of a security rules file (checked; open rules are refused). Neither ``rules`` nor
    ``rules_file``: no client access at all."""
    indexes: Sequence[IndexSpec] = ()
    """Composite indexes."""
    ttl_fields: Sequence[TtlFieldSpec] = ()
    """TTL policies: documents expire at the timestamp in ``field``."""
    collection_prefix: str = ""
    """A prefix the service code puts before collection names (per-environment data in one
    database); exposed as ``<NAME>_FIRESTORE_COLLECTION_PREFIX``."""
    access: CrossCloudAccess | None = None
    """AWS -> GCP access whose service account may read and write this database."""
    access_role: str = ACCESS_ROLES[0]
    """The role granted to ``access``: ``roles/datastore.user`` or ``roles/datastore.viewer``
    (read only)."""

    def __post_init__(self) -> None:
        if not self.project:
            refuse("project (the Firebase project id) is required")
        database_id = self.database_id
        if database_id != DEFAULT_DATABASE and not _DATABASE_ID.match(str(database_id)):
            refuse(
                f"database_id {database_id!r} must be '(default)' or 4-63 characters of a-z, "
                "0-9 and '-', starting with a letter"
            )
        if not isinstance(self.location, str) or not re.match(r"^[a-z0-9-]+$", self.location):
            refuse(f"location {self.location!r} is not a Firestore location")
        self.rules_source  # noqa: B018 - loads and checks the rules now, before anything registers
        for position, spec in enumerate(self.indexes):
            index_fields(spec, position)
        for position, ttl in enumerate(self.ttl_fields):
            problem = ttl_field_errors(ttl, position)
            if problem:
                refuse(problem)
        prefix = self.collection_prefix
        if not isinstance(prefix, str) or "/" in prefix:
            refuse(f"collection_prefix {prefix!r} may not contain '/'")
        if self.access is not None and not isinstance(self.access, CrossCloudAccess):
            refuse(f"access must be a CrossCloudAccess, not {self.access!r}")
        one_of("access_role", self.access_role, ACCESS_ROLES)
        if self.protect is not None and not isinstance(self.protect, bool):
            refuse(f"protect must be True or False, not {self.protect!r}")

    @cached_property
    def rules_source(self) -> str:
        """The security rules released (checked: open rules are refused)."""
        try:
            text, origin = load_rules(text=self.rules, path=self.rules_file)
            return validate_firestore_rules(text, origin=origin)
        except (OpenRulesError, FileNotFoundError) as error:
            raise ComponentArgsError(str(error)) from None
        except ValueError as error:
            raise ComponentArgsError(f"rules/rules_file: {error}") from None

    @property
    def protected(self) -> bool:
        """``protect`` as given, else whether this is a production stack."""
        return self.protect if self.protect is not None else is_production()


class RealtimeStoreTransforms(TypedDict, total=False):
    """Reshape a child of the RealtimeStore before it is created (see ``HybridComponent``)."""

    database: Transform
    """``gcp.firestore.Database``: the database (unless ``create_database`` is False)."""
    ruleset: Transform
    """``gcp.firebaserules.Ruleset``: the checked security rules."""
    release: Transform
    """``gcp.firebaserules.Release``: the release making the database use them."""
    index: Transform
    """``gcp.firestore.Index``: each composite index."""
    ttl_field: Transform
    """``gcp.firestore.Field``: each TTL field."""
    access_grant: Transform
    """``gcp.projects.IAMMember``: ``access``'s role, conditioned on this database."""


class RealtimeStore(HybridComponent):
    """A Firestore database with checked rules, indexes, TTL fields and AWS write access.

    Example:
        chat = RealtimeStore("chat", {"project": "acme-dev", "rules_file": "firestore.rules"})
        Function("api", {"handler": "hybridstack.services.api.handler.handle", "link": [chat]})
    """

    TYPE = "hybridstack:index:RealtimeStore"
    TRANSFORMS = RealtimeStoreTransforms

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
        args: RealtimeStoreArgs | Mapping[str, Any] | None = None,
        *,
        transform: RealtimeStoreTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = RealtimeStoreArgs.parse(args, owner=f"RealtimeStore {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        protect = settings.protected
        self._settings = settings
        self._access = settings.access
        self._collection_prefix = settings.collection_prefix
        self.project = pulumi.Output.from_input(settings.project)
        self.database_id = pulumi.Output.from_input(settings.database_id)
        self.database_name = pulumi.Output.concat(
            "projects/", self.project, "/databases/", settings.database_id
        )
        self.rules_source = settings.rules_source
        self.point_in_time_recovery = protect
        self.delete_protection = protect

        database = self._create_database(protect) if settings.create_database else None
        after_database = pulumi.ResourceOptions(depends_on=[database] if database else [])
        self._release_rules(after_database)
        self._create_indexes(after_database)
        self._create_ttl_fields(after_database)
        if self._access is not None:
            self._grant_access(self._access)
        self.register_outputs(
            {
                "project": self.project,
                "databaseId": self.database_id,
                "databaseName": self.database_name,
                "pointInTimeRecovery": protect,
                "deleteProtection": protect,
            }
        )

    def _create_database(self, protect: bool) -> gcp.firestore.Database:
        settings = self._settings
        return self.child(
            "database",
            gcp.firestore.Database,
            f"{self.component_name}-db",
            {
                "project": settings.project,
                "name": settings.database_id,
                "location_id": settings.location,
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

    def _release_rules(self, after_database: pulumi.ResourceOptions) -> None:
        settings = self._settings
        release_rules(
            self,
            ("ruleset", "release"),
            f"{self.component_name}-rules",
            project=settings.project,
            file_name="firestore.rules",
            content=self.rules_source,
            release_name=rules_release_name(settings.database_id),
            ruleset_opts=after_database,
        )

    def _create_indexes(self, after_database: pulumi.ResourceOptions) -> None:
        settings, name = self._settings, self.component_name
        for position, spec in enumerate(settings.indexes):
            fields = index_fields(spec, position)
            slug = "-".join(_slug(f["field_path"]) for f in fields)
            self.child(
                "index",
                gcp.firestore.Index,
                f"{name}-{_slug(spec['collection'])}-{slug}",
                {
                    "project": settings.project,
                    "database": settings.database_id,
                    "collection": spec["collection"],
                    "query_scope": spec.get("query_scope", "COLLECTION"),
                    "fields": fields,
                },
                opts=after_database,
            )

    def _create_ttl_fields(self, after_database: pulumi.ResourceOptions) -> None:
        settings, name = self._settings, self.component_name
        for spec in settings.ttl_fields:
            self.child(
                "ttl_field",
                gcp.firestore.Field,
                f"{name}-{_slug(spec['collection'])}-{_slug(spec['field'])}-ttl",
                {
                    "project": settings.project,
                    "database": settings.database_id,
                    "collection": spec["collection"],
                    "field": spec["field"],
                    "ttl_config": {},
                    # Expiry timestamps grow monotonically: exempt them from single-field
                    # indexes, which would otherwise hot-spot.
                    "index_config": {},
                },
                opts=after_database,
            )

    def _grant_access(self, access: CrossCloudAccess) -> None:
        settings, name = self._settings, self.component_name
        role, database_id = settings.access_role, settings.database_id
        self.child(
            "access_grant",
            gcp.projects.IAMMember,
            f"{name}-{access.component_name}-{role.rsplit('.', 1)[-1]}",
            {
                "project": settings.project,
                "role": role,
                "member": access.service_account_member,
                "condition": {
                    "title": f"{name} database only"[:100],
                    "description": f"{role} on the {database_id} Firestore database only",
                    "expression": self.project.apply(
                        lambda p: database_condition_expression(p, database_id)
                    ),
                },
            },
        )

    def link_spec(self) -> LinkSpec:
        """Where the data is (and, with ``access``, the credentials to reach it from AWS)."""
        name = self.component_name
        environment: dict[str, pulumi.Input[str]] = {
            link_variable(name, FIRESTORE_PROJECT): self.project,
            link_variable(name, FIRESTORE_DATABASE): self.database_id,
            link_variable(name, FIRESTORE_COLLECTION_PREFIX): self._collection_prefix,
        }
        statements: list[Any] = []
        if self._access is not None:
            access_spec = self._access.link_spec()
            environment.update(access_spec.environment)
            statements.extend(access_spec.statements)
        return LinkSpec(statements=statements, environment=environment)
