"""SQS and DynamoDB on the AWS emulator."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_sqs_send_then_receive_and_delete(sqs):
    queue_url = sqs.create_queue(QueueName="thumbnails")["QueueUrl"]
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps({"key": "photos/1.jpg"}),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "thumbnail"}},
    )

    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=2,
        MessageAttributeNames=["All"],
    )["Messages"]

    assert len(received) == 1
    assert json.loads(received[0]["Body"]) == {"key": "photos/1.jpg"}
    assert received[0]["MessageAttributes"]["kind"]["StringValue"] == "thumbnail"
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=received[0]["ReceiptHandle"])
    again = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    assert again.get("Messages", []) == []


def test_sqs_fifo_keeps_order_within_a_group(sqs):
    queue_url = sqs.create_queue(
        QueueName="orders.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"step-{n}", MessageGroupId="order-1")

    bodies: list[str] = []
    while len(bodies) < 3:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        assert messages, f"queue ran dry after {bodies}"
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    assert bodies == ["step-0", "step-1", "step-2"]


def _single_table(dynamodb) -> None:
    dynamodb.create_table(
        TableName="devices",
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(
        TableName="devices", WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
    )


def test_dynamodb_put_then_query_by_partition_and_sort_prefix(dynamodb):
    _single_table(dynamodb)
    items = [
        ("DEVICE#1", "META", {"name": {"S": "kitchen speaker"}}),
        ("DEVICE#1", "REC#2026-01-02", {"seconds": {"N": "31"}}),
        ("DEVICE#1", "REC#2026-01-01", {"seconds": {"N": "12"}}),
        ("DEVICE#2", "REC#2026-01-01", {"seconds": {"N": "99"}}),
    ]
    for pk, sk, extra in items:
        dynamodb.put_item(TableName="devices", Item={"PK": {"S": pk}, "SK": {"S": sk}, **extra})

    result = dynamodb.query(
        TableName="devices",
        KeyConditionExpression="PK = :pk AND begins_with(SK, :rec)",
        ExpressionAttributeValues={":pk": {"S": "DEVICE#1"}, ":rec": {"S": "REC#"}},
    )

    assert [item["SK"]["S"] for item in result["Items"]] == ["REC#2026-01-01", "REC#2026-01-02"]
    assert [item["seconds"]["N"] for item in result["Items"]] == ["12", "31"]


def test_dynamodb_conditional_put_refuses_a_duplicate(dynamodb):
    _single_table(dynamodb)
    item = {"PK": {"S": "DEVICE#1"}, "SK": {"S": "META"}}
    dynamodb.put_item(TableName="devices", Item=item)

    with pytest.raises(ClientError) as error:
        dynamodb.put_item(
            TableName="devices", Item=item, ConditionExpression="attribute_not_exists(PK)"
        )

    assert error.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
