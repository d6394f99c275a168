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
    table.subscribe(projector)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.function import Function
from hybridstack.components.link import IamStatement, LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

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


class IndexArgs(TypedDict, total=False):
    """One global secondary index."""

    name: str
    """Index name, e.g. ``GSI1`` (required)."""
    partition_key: str
    """Its partition key attribute, e.g. ``GSI1PK`` (required)."""
    sort_key: str
    """Its sort key attribute, e.g. ``GSI1SK``."""
    projection: Literal["ALL", "KEYS_ONLY"] | Sequence[str]
    """``ALL`` (default), ``KEYS_ONLY``, or the attribute names to include."""


def key_attributes(
    partition_key: str,
    sort_key: str | None,
    indexes: Sequence[Mapping[str, Any]],
    types: Mapping[str, str],
    *,
    owner: str,
) -> list[dict[str, str]]:
    """Every key attribute of the table and its indexes with its type (``S`` unless told).

    Raises ComponentArgsError naming the index or attribute that is wrong.
    """
    names: list[str] = [partition_key, *([sort_key] if sort_key else [])]
    seen: set[str] = set()
    for position, index in enumerate(indexes):
        label = f"global_secondary_indexes[{position}]"
        name = index.get("name")
        if not isinstance(name, str) or not _INDEX_NAME.match(name):
            raise ComponentArgsError(
                f"{owner}: {label}.name={name!r} must be 3-255 of A-Z a-z 0-9 _ . -"
            )
        if name in seen:
            raise ComponentArgsError(f"{owner}: two global_secondary_indexes are named {name!r}")
        seen.add(name)
        if not index.get("partition_key"):
            raise ComponentArgsError(f"{owner}: {label} ({name}) needs a partition_key")
        unknown = set(index) - {"name", "partition_key", "sort_key", "projection"}
        if unknown:
            raise ComponentArgsError(f"{owner}: {label} has unknown key(s) {sorted(unknown)}")
        names.append(index["partition_key"])
        if index.get("sort_key"):
            names.append(index["sort_key"])
    bad_types = {k: v for k, v in types.items() if v not in ATTRIBUTE_TYPES}
    if bad_types:
        raise ComponentArgsError(f"{owner}: attribute_types {bad_types} must be S, N or B")
    extra = set(types) - set(names)
    if extra:
        raise ComponentArgsError(
            f"{owner}: attribute_types names {sorted(extra)}, which are not key attributes "
            "(DynamoDB declares key attributes only)"
        )
    unique = list(dict.fromkeys(names))
    return [{"name": n, "type": types.get(n, "S")} for n in unique]


def index_definition(index: Mapping[str, Any]) -> dict[str, Any]:
    """The ``global_secondary_indexes`` entry of ``aws.dynamodb.Table`` for one index."""
    projection = index.get("projection", "ALL")
    definition: dict[str, Any] = {"name": index["name"], "hash_key": index["partition_key"]}
    if index.get("sort_key"):
        definition["range_key"] = index["sort_key"]
    if isinstance(projection, str):
        definition["projection_type"] = projection
    else:
        definition["projection_type"] = "INCLUDE"
        definition["non_key_attributes"] = list(projection)
    return definition


class TableArgs(TypedDict, total=False):
    """Keys, indexes, TTL, stream and protection of the table."""

    partition_key: str
    """Partition key attribute (default ``PK``)."""
    sort_key: str | None
    """Sort key attribute (default ``SK``; ``None`` for none)."""
    attribute_types: Mapping[str, Literal["S", "N", "B"]]
    """Types of key attributes that are not strings, e.g. ``{"GSI2SK": "N"}``."""
    global_secondary_indexes: Sequence[IndexArgs]
    """Global secondary indexes."""
    ttl_attribute: str
    """Attribute holding the expiry epoch seconds (TTL off when not given)."""
    stream: Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]
    """Enable the stream with this view type (off by default)."""
    point_in_time_recovery: bool
    """Continuous backups (default: on in production stacks)."""
    deletion_protection: bool
    """Refuse deletion (default: on in production stacks)."""
    kms_key_arn: pulumi.Input[str]
    """Encrypt with this customer managed KMS key (default: AWS owned key)."""
    tags: Mapping[str, str]
    """Tags of the table."""


@dataclass(frozen=True)
class ExistingTable:
    """A table created elsewhere, linkable like a Table (``Table.from_existing``)."""

    name: str
    arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    index_names: Sequence[str] = ()

    def _spec(self, actions: Sequence[str]) -> LinkSpec:
        resources = [
            self.arn,
            *(pulumi.Output.concat(self.arn, "/index/", n) for n in self.index_names),
        ]
        return LinkSpec(
            statements=[IamStatement(list(actions), resources)],
            environment={f"{env_prefix(self.name)}_TABLE_NAME": self.table_name},
        )

    def link_spec(self) -> LinkSpec:
        """Read and write items of the table and the named indexes."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))

    def read_only(self) -> LinkSpec:
        """Read items of the table and the named indexes."""
        return self._spec(READ_ACTIONS)


class Table(HybridComponent):
    """A DynamoDB single table, linkable with least privilege on the table and its indexes.

    Example:
        table = Table("data", {"ttl_attribute": "expiresAt"})
    """

    TYPE = "hybridstack:aws:Table"
    CHILD_ROLES = ("table", "event_source_mapping")

    arn: pulumi.Output[str]
    """The table ARN."""
    table_name: pulumi.Output[str]
    """The physical table name."""
    stream_arn: pulumi.Output[str] | None
    """The stream ARN (None without ``stream``)."""

    def __init__(
        self,
        name: str,
        args: TableArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Table {name!r}"
        a: dict[str, Any] = dict(args or {})
        partition_key = a.get("partition_key", "PK")
        sort_key = a.get("sort_key", "SK")
        indexes = list(a.get("global_secondary_indexes", []))
        if isinstance(a.get("global_secondary_indexes"), Mapping):
            raise ComponentArgsError(f"{owner}: global_secondary_indexes must be a list")
        attributes = key_attributes(
            partition_key, sort_key, indexes, dict(a.get("attribute_types", {})), owner=owner
        )
        stream = a.get("stream")
        if stream is not None and stream not in STREAM_VIEW_TYPES:
            raise ComponentArgsError(
                f"{owner}: stream={stream!r}; use one of {', '.join(STREAM_VIEW_TYPES)}"
            )
        ttl = a.get("ttl_attribute")
        if ttl is not None and (not isinstance(ttl, str) or not ttl):
            raise ComponentArgsError(f"{owner}: ttl_attribute must be an attribute name")
        if ttl in {partition_key, sort_key}:
            raise ComponentArgsError(f"{owner}: ttl_attribute={ttl!r} cannot be a table key")
        production = is_production()
        super().__init__(name, transform=transform, opts=opts)
        self.index_names = [i["name"] for i in indexes]

        table_args: dict[str, Any] = {
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": partition_key,
            "attributes": attributes,
            "point_in_time_recovery": {
                "enabled": bool(a.get("point_in_time_recovery", production))
            },
            "deletion_protection_enabled": bool(a.get("deletion_protection", production)),
            "server_side_encryption": (
                {"enabled": True, "kms_key_arn": a["kms_key_arn"]}
                if a.get("kms_key_arn") is not None
                else {"enabled": False}  # AWS owned key: encrypted at rest, no KMS charges
            ),
            "tags": dict(a.get("tags", {})),
        }
        if sort_key:
            table_args["range_key"] = sort_key
        if indexes:
            table_args["global_secondary_indexes"] = [index_definition(i) for i in indexes]
        if ttl:
            table_args["ttl"] = {"attribute_name": ttl, "enabled": True}
        if stream:
            table_args["stream_enabled"] = True
            table_args["stream_view_type"] = stream
        table = self.child("table", aws.dynamodb.Table, name, table_args)
        self.table = table
        self.arn = table.arn
        self.table_name = table.name
        self.stream_arn = table.stream_arn if stream else None
        self.kms_key_arn = a.get("kms_key_arn")
        self._subscriptions: set[str] = set()
        outputs: dict[str, Any] = {"arn": self.arn, "table_name": self.table_name}
        if self.stream_arn is not None:
            outputs["stream_arn"] = self.stream_arn
        self.register_outputs(outputs)

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

    def _resources(self) -> list[pulumi.Input[str]]:
        return [self.arn, *(pulumi.Output.concat(self.arn, "/index/", n) for n in self.index_names)]

    def _spec(self, actions: Sequence[str]) -> LinkSpec:
        statements = [IamStatement(list(actions), self._resources())]
        if self.kms_key_arn is not None:
            kms = ["kms:Decrypt"] if set(actions) <= set(READ_ACTIONS) else [
                "kms:Decrypt", "kms:GenerateDataKey"]  # fmt: skip
            statements.append(IamStatement(kms, [self.kms_key_arn]))
        return LinkSpec(
            statements=statements,
            environment={f"{env_prefix(self.component_name)}_TABLE_NAME": self.table_name},
        )

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
        if not 1 <= batch_size <= 10_000:
            raise ComponentArgsError(f"{owner}: batch_size={batch_size} must be in 1..10000")
        if starting_position not in ("LATEST", "TRIM_HORIZON"):
            raise ComponentArgsError(f"{owner}: starting_position={starting_position!r}")
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
