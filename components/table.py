"""Table: a DynamoDB single table (``PK``/``SK``), on-demand, with GSIs, TTL, streams, PITR.

The single-table design of the IoT reference architecture: one table keyed by ``PK``/``SK``
holding users, devices, scripts, audio metadata, events and playback history, with generic
global secondary indexes (``GSI1PK``/``GSI1SK`` ...) for the other access patterns. Pay per
request; encrypted at rest (AWS-owned key, or your KMS key); point-in-time recovery and deletion
protection on by default in production stacks.

Linking grants the item actions on this table and its indexes only (``table.read_only()``: reads)
and sets ``<NAME>_TABLE_NAME``. ``subscribe`` feeds the stream to a Function with partial batch
failure reporting and the function's dead-letter queue as on-failure destination.

Example:
    table = Table("data", {
        "global_secondary_indexes": [{"name": "GSI1", "partition_key": "GSI1PK",
                                      "sort_key": "GSI1SK"}],
        "ttl_attribute": "expiresAt",
        "stream": "NEW_AND_OLD_IMAGES",
    })
    api = Function("api", {"handler": "hybridstack.services.api.handler.handle", "link": [table]})
    projector = Function("projector", {"handler": "hybridstack.services.media.events.handle"})
    table.subscribe(projector)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import (
    ComponentArgs,
    ComponentArgsError,
    in_range,
    one_of,
    refuse,
)
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.function import Function
from hybridstack.components.link import IamStatement, LinkSpec, key_use_statement, link_variable
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import TABLE_NAME

READ_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
)  # fmt: skip
WRITE_ACTIONS = (
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
)  # fmt: skip
STREAM_ACTIONS = (
    "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
)  # fmt: skip
STREAM_VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
ATTRIBUTE_TYPES = ("S", "N", "B")
_INDEX_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


PROJECTIONS = ("ALL", "KEYS_ONLY")


@dataclass(frozen=True, kw_only=True)
class IndexArgs(ComponentArgs):
    """One global secondary index."""

    name: str
    """Index name, e.g. ``GSI1`` (required)."""
    partition_key: str
    """Its partition key attribute, e.g. ``GSI1PK`` (required)."""
    sort_key: str | None = None
    """Its sort key attribute, e.g. ``GSI1SK`` (none by default)."""
    projection: str | Sequence[str] = "ALL"
    """``ALL`` (every attribute), ``KEYS_ONLY``, or the attribute names to include."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _INDEX_NAME.match(self.name):
            refuse(f"name={self.name!r} must be 3-255 of A-Z a-z 0-9 _ . -")
        if not self.partition_key:
            refuse(f"({self.name}) needs a partition_key")
        if isinstance(self.projection, str):
            one_of("projection", self.projection, PROJECTIONS)

    def key_schemas(self) -> list[dict[str, str]]:
        """The index's ``key_schemas`` (the partition key HASH, the sort key RANGE)."""
        schema = [{"attribute_name": self.partition_key, "key_type": "HASH"}]
        if self.sort_key:
            schema.append({"attribute_name": self.sort_key, "key_type": "RANGE"})
        return schema

    def definition(self) -> dict[str, Any]:
        """The ``global_secondary_indexes`` entry of ``aws.dynamodb.Table`` for this index."""
        definition: dict[str, Any] = {"name": self.name, "key_schemas": self.key_schemas()}
        if isinstance(self.projection, str):
            definition["projection_type"] = self.projection
        else:
            definition["projection_type"] = "INCLUDE"
            definition["non_key_attributes"] = list(self.projection)
        return definition


def parse_indexes(given: Any) -> tuple[IndexArgs, ...]:
    """``global_secondary_indexes`` as IndexArgs; each error names the index by position."""
    if isinstance(given, Mapping | str):
        refuse("global_secondary_indexes must be a list")
    indexes: list[IndexArgs] = []
    for position, index in enumerate(given):
        name = index.get("name") if isinstance(index, Mapping) else getattr(index, "name", None)
        label = f"global_secondary_indexes[{position}]" + (f" ({name})" if name else "")
        indexes.append(IndexArgs.parse(index, owner=label))
    names = [index.name for index in indexes]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        refuse(f"two global_secondary_indexes are named {', '.join(twice)}")
    return tuple(indexes)


def key_attributes(
    partition_key: str,
    sort_key: str | None,
    indexes: Sequence[IndexArgs],
    types: Mapping[str, str],
) -> list[dict[str, str]]:
    """Every key attribute of the table and its indexes with its type (``S`` unless told).

    Raises ComponentArgsError naming the attribute that is wrong.
    """
    names: list[str] = [partition_key, *([sort_key] if sort_key else [])]
    for index in indexes:
        names.append(index.partition_key)
        if index.sort_key:
            names.append(index.sort_key)
    bad_types = {k: v for k, v in types.items() if v not in ATTRIBUTE_TYPES}
    if bad_types:
        refuse(f"attribute_types {bad_types} must be S, N or B")
    extra = set(types) - set(names)
    if extra:
        refuse(
            f"attribute_types names {sorted(extra)}, which are not key attributes "
            "(DynamoDB declares key attributes only)"
        )
    unique = list(dict.fromkeys(names))
    return [{"name": n, "type": types.get(n, "S")} for n in unique]


@dataclass(frozen=True, kw_only=True)
class TableArgs(ComponentArgs):
    """Keys, indexes, TTL, stream and protection of the table."""

    partition_key: str = "PK"
    """Partition key attribute."""
    sort_key: str | None = "SK"
    """Sort key attribute (``None`` for none)."""
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    """Types (``S``, ``N``, ``B``) of key attributes that are not strings, e.g.
    ``{"GSI2SK": "N"}``."""
    global_secondary_indexes: Sequence[IndexArgs | Mapping[str, Any]] = ()
    """Global secondary indexes (``IndexArgs`` or mappings of its fields)."""
    ttl_attribute: str | None = None
    """Attribute holding the expiry epoch seconds (TTL off when not given)."""
    stream: str | None = None
    """Enable the stream with this view type: ``NEW_IMAGE``, ``OLD_IMAGE``,
    ``NEW_AND_OLD_IMAGES`` or ``KEYS_ONLY`` (off when not given)."""
    point_in_time_recovery: bool | None = None
    """Continuous backups (default: on in production stacks only)."""
    deletion_protection: bool | None = None
    """Refuse deletion (default: on in production stacks only)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt with this customer managed KMS key (default: an AWS owned key)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the table."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "global_secondary_indexes", parse_indexes(self.global_secondary_indexes)
        )
        self.attributes()  # refuses bad attribute_types
        if self.stream is not None:
            one_of("stream", self.stream, STREAM_VIEW_TYPES)
        ttl = self.ttl_attribute
        if ttl is not None and (not isinstance(ttl, str) or not ttl):
            refuse("ttl_attribute must be an attribute name")
        if ttl in {self.partition_key, self.sort_key}:
            refuse(f"ttl_attribute={ttl!r} cannot be a table key")

    @property
    def indexes(self) -> tuple[IndexArgs, ...]:
        """The parsed global secondary indexes."""
        return tuple(i for i in self.global_secondary_indexes if isinstance(i, IndexArgs))

    def attributes(self) -> list[dict[str, str]]:
        """The table's ``attributes``: every key attribute of the table and its indexes."""
        return key_attributes(
            self.partition_key, self.sort_key, self.indexes, dict(self.attribute_types)
        )


class TableTransforms(TypedDict, total=False):
    """Reshape a child of the Table before it is created (see ``HybridComponent``)."""

    table: Transform
    """``aws.dynamodb.Table``: the table."""
    event_source_mapping: Transform
    """``aws.lambda_.EventSourceMapping``: each ``subscribe`` call's stream mapping."""


@dataclass(frozen=True)
class ExistingTable:
    """A table created elsewhere, linkable like a Table (``Table.from_existing``)."""

    name: str
    arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    index_names: Sequence[str] = ()

    def _spec(self, actions: Sequence[str]) -> LinkSpec:
        return _table_spec(self.name, self.arn, self.table_name, self.index_names, actions, None)

    def link_spec(self) -> LinkSpec:
        """Read and write items of the table and the named indexes."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))

    def read_only(self) -> LinkSpec:
        """Read items of the table and the named indexes."""
        return self._spec(READ_ACTIONS)


def _table_spec(
    name: str,
    arn: pulumi.Input[str],
    table_name: pulumi.Input[str],
    index_names: Sequence[str],
    actions: Sequence[str],
    kms_key_arn: pulumi.Input[str] | None,
) -> LinkSpec:
    """``actions`` on the table and its named indexes (and its key); ``<NAME>_TABLE_NAME``."""
    resources = [arn, *(pulumi.Output.concat(arn, "/index/", n) for n in index_names)]
    statements = [IamStatement(list(actions), resources)]
    if kms_key_arn is not None:
        writes = not set(actions) <= set(READ_ACTIONS)
        statements.append(key_use_statement(kms_key_arn, writes=writes))
    return LinkSpec(
        statements=statements, environment={link_variable(name, TABLE_NAME): table_name}
    )


class Table(HybridComponent):
    """A DynamoDB single table, linkable with least privilege on the table and its indexes.

    Example:
        table = Table("data", {"ttl_attribute": "expiresAt"})
    """

    TYPE = "hybridstack:aws:Table"
    TRANSFORMS = TableTransforms

    arn: pulumi.Output[str]
    """The table ARN."""
    table_name: pulumi.Output[str]
    """The physical table name."""
    stream_arn: pulumi.Output[str] | None
    """The stream ARN (None without ``stream``)."""

    def __init__(
        self,
        name: str,
        args: TableArgs | Mapping[str, Any] | None = None,
        *,
        transform: TableTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = TableArgs.parse(args, owner=f"Table {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.index_names = [index.name for index in settings.indexes]
        self.kms_key_arn = settings.kms_key_arn
        self._subscriptions: set[str] = set()

        self.table = table = self._create_table(settings)
        self.arn = table.arn
        self.table_name = table.name
        self.stream_arn = table.stream_arn if settings.stream else None
        outputs: dict[str, Any] = {"arn": self.arn, "table_name": self.table_name}
        if self.stream_arn is not None:
            outputs["stream_arn"] = self.stream_arn
        self.register_outputs(outputs)

    @staticmethod
    def _protection(settings: TableArgs) -> dict[str, Any]:
        """Backups and deletion protection: as given, else on in production stacks only."""
        production = is_production()
        recovery = settings.point_in_time_recovery
        protect = settings.deletion_protection
        return {
            "point_in_time_recovery": {
                "enabled": production if recovery is None else bool(recovery)
            },
            "deletion_protection_enabled": production if protect is None else bool(protect),
        }

    @staticmethod
    def _encryption(settings: TableArgs) -> dict[str, Any]:
        if settings.kms_key_arn is not None:
            return {"enabled": True, "kms_key_arn": settings.kms_key_arn}
        return {"enabled": False}  # AWS owned key: encrypted at rest, no KMS charges

    def _create_table(self, settings: TableArgs) -> aws.dynamodb.Table:
        table_args: dict[str, Any] = {
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": settings.partition_key,
            "attributes": settings.attributes(),
            **self._protection(settings),
            "server_side_encryption": self._encryption(settings),
            "tags": dict(settings.tags),
        }
        if settings.sort_key:
            table_args["range_key"] = settings.sort_key
        if settings.indexes:
            table_args["global_secondary_indexes"] = [i.definition() for i in settings.indexes]
        if settings.ttl_attribute:
            table_args["ttl"] = {"attribute_name": settings.ttl_attribute, "enabled": True}
        if settings.stream:
            table_args["stream_enabled"] = True
            table_args["stream_view_type"] = settings.stream
        return self.child("table", aws.dynamodb.Table, self.component_name, table_args)

    @staticmethod
    def from_existing(
        name: str,
        *,
        arn: pulumi.Input[str],
        table_name: pulumi.Input[str],
        index_names: Sequence[str] = (),
    ) -> ExistingTable:
        """Adopt a table made elsewhere: linkable (``<NAME>_TABLE_NAME``), nothing created."""
        return ExistingTable(name, arn, table_name, tuple(index_names))

    def _spec(self, actions: Sequence[str]) -> LinkSpec:
        return _table_spec(
            self.component_name, self.arn, self.table_name, self.index_names, actions,
            self.kms_key_arn,
        )  # fmt: skip

    def link_spec(self) -> LinkSpec:
        """Read and write items of this table and its indexes; ``<NAME>_TABLE_NAME``."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))

    def read_only(self) -> LinkSpec:
        """Read items of this table and its indexes; ``<NAME>_TABLE_NAME``."""
        return self._spec(READ_ACTIONS)

    def subscribe(
        self,
        function: Function,
        *,
        batch_size: int = 100,
        starting_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST",
        max_retries: int = 5,
    ) -> aws.lambda_.EventSourceMapping:
        """Feed this table's stream to ``function``; failed batches are bisected, retried,
        then recorded in the function's dead-letter queue."""
        owner = f"Table {self.component_name!r}.subscribe"
        if self.stream_arn is None:
            raise ComponentArgsError(f"{owner}: the table has no stream; create it with stream=")
        if not isinstance(function, Function):
            raise ComponentArgsError(f"{owner}: function must be a Function, not {function!r}")
        try:
            in_range("batch_size", batch_size, 1, 10_000)
            one_of("starting_position", starting_position, ("LATEST", "TRIM_HORIZON"))
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        if function.component_name in self._subscriptions:
            raise ComponentArgsError(f"{owner}: {function.component_name!r} is subscribed")
        self._subscriptions.add(function.component_name)
        grant = function.grant(
            f"stream-{self.component_name}", [IamStatement(list(STREAM_ACTIONS), [self.stream_arn])]
        )
        args: dict[str, Any] = {
            "event_source_arn": self.stream_arn,
            "function_name": function.arn,
            "batch_size": batch_size,
            "starting_position": starting_position,
            "bisect_batch_on_function_error": True,
            "maximum_retry_attempts": max_retries,
            "function_response_types": ["ReportBatchItemFailures"],
        }
        if function.dead_letter_arn is not None:
            args["destination_config"] = {
                "on_failure": {"destination_arn": function.dead_letter_arn}
            }
        return self.child(
            "event_source_mapping",
            aws.lambda_.EventSourceMapping,
            f"{self.component_name}-to-{function.component_name}",
            args,
            opts=pulumi.ResourceOptions(depends_on=[grant]),
        )
