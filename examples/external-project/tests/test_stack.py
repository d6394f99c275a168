"""acme-jobs under Pulumi mocks: the pipeline is wired, least-privilege, and passes the
hybridstack policy checks; the handler reports bad jobs as partial failures."""

from __future__ import annotations

import json
from pathlib import Path

from acme.handlers.worker import handle
from acme.stack import jobs_pipeline

from hybridstack.policy import check_resources
from hybridstack.testing import of_type, run_under_mocks

ROOT = Path(__file__).resolve().parents[1]


def test_worker_consumes_the_queue_and_passes_policies() -> None:
    resources = run_under_mocks(lambda: jobs_pipeline(ROOT), project="acme-jobs")
    (mapping,) = of_type(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["handler"] == "acme.handlers.worker.handle"
    queues = of_type(resources, "aws:sqs/queue:Queue")
    assert any("redrivePolicy" in q.inputs for q in queues)
    assert check_resources(resources, stack="dev") == []


def test_handler_reports_only_bad_jobs_as_failures() -> None:
    event = {
        "Records": [
            {"messageId": "1", "body": json.dumps({"job": "resize"})},
            {"messageId": "2", "body": "not json"},
            {"messageId": "3", "body": json.dumps(["no", "job"])},
        ]
    }
    assert handle(event, None) == {
        "batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]
    }
