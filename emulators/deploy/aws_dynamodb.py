"""DynamoDB tables: keys, global secondary indexes, TTL and streams as declared.

Example:
    aws.dynamodb.Table("database", hash_key="PK", range_key="SK", ttl={...},
                       global_secondary_indexes=[{"name": "GSI1", "key_schemas": [...]}])
        -> CreateTable database-1a2b3c4 (GSI KeySchema from key_schemas) + UpdateTimeToLive
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import Created, Record, Resource, deleted_by, handles
from hybridstack.emulators.deploy.shapes import integral, tags_list


def _key_schema(hash_key: Any, range_key: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": str(hash_key), "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": str(range_key), "KeyType": "RANGE"})
    return schema


def index_key_schema(index: dict[str, Any]) -> list[dict[str, str]]:
    """A global secondary index's KeySchema from its ``keySchemas`` input (pulumi-aws 7).

    Raises ValueError for an index declared without ``key_schemas`` (the deprecated
    ``hash_key``/``range_key`` form is not read).
    """
    keys = index.get("keySchemas") or []
    if not keys:
        raise ValueError(
            f"global secondary index {index.get('name')!r} declares no key_schemas "
            "(declare its keys with key_schemas, not the deprecated hash_key/range_key)"
        )
    return [{"AttributeName": str(k["attributeName"]), "KeyType": str(k["keyType"])} for k in keys]


def index_shape(index: dict[str, Any], billing: str) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "IndexName": str(index["name"]),
        "KeySchema": index_key_schema(index),
        "Projection": {"ProjectionType": str(index.get("projectionType", "ALL"))},
    }
    if index.get("nonKeyAttributes"):
        shaped["Projection"]["NonKeyAttributes"] = list(index["nonKeyAttributes"])
    if billing == "PROVISIONED":
        shaped["ProvisionedThroughput"] = {
            "ReadCapacityUnits": integral(index.get("readCapacity", 1)),
            "WriteCapacityUnits": integral(index.get("writeCapacity", 1)),
        }
    return shaped


def _delete_table(ctx: DeployContext, record: Record) -> None:
    ctx.aws("dynamodb").delete_table(TableName=record["id"])


@handles("aws:dynamodb/table:Table", delete=deleted_by(_delete_table, order=4))
def table(ctx: DeployContext, resource: Resource) -> Created:
    dynamodb = ctx.aws("dynamodb")
    inputs = resource.inputs
    name = ctx.name(resource, max_length=255)
    billing = str(inputs.get("billingMode") or "PROVISIONED")
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": str(a["name"]), "AttributeType": str(a["type"])}
            for a in inputs.get("attributes", [])
        ],
        "KeySchema": _key_schema(inputs["hashKey"], inputs.get("rangeKey")),
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        args["ProvisionedThroughput"] = {
            "ReadCapacityUnits": integral(inputs.get("readCapacity", 1)),
            "WriteCapacityUnits": integral(inputs.get("writeCapacity", 1)),
        }
    indexes = inputs.get("globalSecondaryIndexes") or []
    if indexes:
        try:
            args["GlobalSecondaryIndexes"] = [index_shape(i, billing) for i in indexes]
        except ValueError as error:
            raise fail(resource, f"CreateTable {name}", error) from error
    if inputs.get("streamEnabled"):
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": str(inputs.get("streamViewType") or "NEW_AND_OLD_IMAGES"),
        }
    if inputs.get("tags"):
        args["Tags"] = tags_list(inputs["tags"])
    try:
        description = dynamodb.create_table(**args)["TableDescription"]
    except Exception as error:
        if error_code(error) != "ResourceInUseException":
            raise fail(resource, f"CreateTable {name}", error) from error
        description = dynamodb.describe_table(TableName=name)["Table"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        try:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
            )
        except Exception as error:
            if "already enabled" not in str(error).lower():
                raise fail(resource, f"UpdateTimeToLive {name}", error) from error
    arn = description.get("TableArn") or ctx.arn("dynamodb", f"table/{name}")
    outputs: dict[str, Any] = {"name": name, "arn": arn}
    if description.get("LatestStreamArn"):
        outputs["streamArn"] = description["LatestStreamArn"]
        outputs["streamLabel"] = description.get("LatestStreamLabel", "")
    return Created(id=name, outputs=outputs)
