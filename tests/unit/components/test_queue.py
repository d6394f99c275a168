"""Queue: DLQ redrive, encryption, visibility timeout from the consumer, subscribe, links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.queue import Queue, visibility_timeout_for
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import actions_on, make_code_root, policy_statements

MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _worker(code_root: Path, timeout: int = 30) -> Function:
    return Function(
        "worker",
        {
            "handler": "app.svc.media.handler.process",
            "code_root": str(code_root),
            "layer": False,
            "dead_letter": False,
            "timeout": timeout,
        },
    )


def _queues(resources: list[Any]) -> dict[str, Any]:
    return {q.name: q for q in of_type(resources, "aws:sqs/queue:Queue")}


def test_messages_move_to_an_encrypted_dlq_after_max_receive_count() -> None:
    resources = run_under_mocks(lambda: Queue("jobs", {"max_receive_count": 3}))
    queues = _queues(resources)
    redrive = json.loads(queues["jobs"].inputs["redrivePolicy"])
    dlq_arn = queues["jobs-dlq"].outputs["arn"]
    assert redrive == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert queues["jobs"].inputs["sqsManagedSseEnabled"] is True
    assert queues["jobs-dlq"].inputs["sqsManagedSseEnabled"] is True
    assert queues["jobs-dlq"].inputs["messageRetentionSeconds"] == 1_209_600


def test_kms_key_replaces_sqs_managed_encryption_and_is_granted() -> None:
    key = "arn:aws:kms:us-east-1:000000000000:key/k"
    resources = run_under_mocks(lambda: Queue("jobs", {"kms_key_arn": key}))
    queues = _queues(resources)
    assert queues["jobs"].inputs["kmsMasterKeyId"] == key
    assert "sqsManagedSseEnabled" not in queues["jobs"].inputs


def test_visibility_timeout_is_six_times_the_consumer_timeout() -> None:
    assert visibility_timeout_for(60) == 360
    assert visibility_timeout_for(1) == 30
    assert visibility_timeout_for(900) == 5400
    resources = run_under_mocks(lambda: Queue("jobs", {"consumer_timeout": 60}))
    assert _queues(resources)["jobs"].inputs["visibilityTimeoutSeconds"] == 360


def test_subscribe_reports_partial_failures_and_grants_consume_on_this_queue(
    code_root: Path,
) -> None:
    def program() -> None:
        worker = _worker(code_root)
        Queue("jobs", {"consumer_timeout": worker.timeout_seconds}).subscribe(worker, batch_size=5)

    resources = run_under_mocks(program)
    queue_arn = _queues(resources)["jobs"].outputs["arn"]
    (mapping,) = of_type(resources, MAPPING)
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["eventSourceArn"] == queue_arn
    assert mapping.inputs["batchSize"] == 5
    policies = {p.name: p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")}
    consume = policy_statements(policies["worker-consume-jobs"])
    assert actions_on(consume, queue_arn) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert {r for s in consume for r in s["Resource"]} == {queue_arn}


def test_subscribing_a_consumer_slower_than_the_visibility_timeout_is_refused(
    code_root: Path,
) -> None:
    def program() -> None:
        Queue("jobs", {"visibility_timeout_seconds": 30}).subscribe(_worker(code_root, 120))

    with pytest.raises(ComponentArgsError, match=r"timeout 120s.*consumer_timeout=120"):
        run_under_mocks(program)


def test_link_grants_this_queue_only_and_sets_the_url(code_root: Path) -> None:
    def program() -> None:
        jobs = Queue("jobs")
        Queue("other")
        Function(
            "api",
            {
                "handler": "app.svc.health.handler.handle",
                "code_root": str(code_root),
                "layer": False,
                "dead_letter": False,
                "link": [jobs.send_only()],
            },
        )

    resources = run_under_mocks(program)
    queues = _queues(resources)
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = policy_statements(policy)
    assert actions_on(statements, queues["jobs"].outputs["arn"]) == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert actions_on(statements, queues["other"].outputs["arn"]) == set()
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert (
        function.inputs["environment"]["variables"]["JOBS_QUEUE_URL"]
        == (queues["jobs"].outputs["url"])
    )


def test_existing_queue_is_linkable() -> None:
    existing = Queue.from_existing("legacy", arn="arn:aws:sqs:r:1:legacy", url="https://q/legacy")
    spec = existing.link_spec()
    assert spec.environment == {"LEGACY_QUEUE_URL": "https://q/legacy"}
    assert [list(s.resources) for s in spec.statements] == [["arn:aws:sqs:r:1:legacy"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_receive_count": 0}, r"max_receive_count=0"),
        ({"visibility_timeout_seconds": 50_000}, r"visibility_timeout_seconds=50000"),
        ({"message_retention_seconds": 10}, r"message_retention_seconds=10"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    args: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: Queue("jobs", args), mocks=mocks)
    assert mocks.resources == []


def test_transform_reaches_the_dead_letter_queue() -> None:
    def shorter(args: dict[str, Any]) -> None:
        args["message_retention_seconds"] = 86_400

    resources = run_under_mocks(lambda: Queue("jobs", transform={"dead_letter_queue": shorter}))
    queues = _queues(resources)
    assert queues["jobs-dlq"].inputs["messageRetentionSeconds"] == 86_400
    assert queues["jobs"].inputs["messageRetentionSeconds"] == 345_600
