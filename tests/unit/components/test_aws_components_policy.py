"""Every AWS component, composed as the reference architectures do, passes the policy checks.

Components are safe by default: composing all of them with their defaults (and a public health
route) gives no violation of any rule on a dev or a prod stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridstack.components.alerts import Alerts
from hybridstack.components.database import PostgresCluster, Table
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.components.key import Key
from hybridstack.components.queue import Queue
from hybridstack.components.schedule import Schedule
from hybridstack.components.secret import Secret
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.static_site import StaticSite
from hybridstack.policy import check_resources
from hybridstack.testing import run_under_mocks
from tests.unit.components.aws_helpers import actions_on, make_code_root, policy_statements


def _platform(root: Path, public: list[str]) -> None:
    def fn(name: str, handler: str, **extra: object) -> Function:
        args = {"handler": handler, "code_root": str(root), "layer": False, **extra}
        return Function(name, args)

    key = Key("tokens")
    table = Table("data", {"stream": "NEW_IMAGE", "ttl_attribute": "expiresAt"})
    catalog = PostgresCluster("catalog")
    media = SecureBucket("media", {"kms_key_arn": key.arn})
    oauth = Secret("oauth", {"kms_key_arn": key.arn})
    jobs = Queue("jobs", {"consumer_timeout": 60})
    api_fn = fn(
        "api",
        "app.svc.health.handler.handle",
        link=[table, catalog, media.read_only(), oauth, key.decrypt_only(), jobs.send_only()],
    )
    worker = fn("worker", "app.svc.media.handler.process", timeout=60, link=[media])
    jobs.subscribe(worker)
    table.subscribe(worker)
    collector = fn("collector", "app.svc.media.handler.process", link=[catalog])
    schedule = Schedule("hourly", {"function": collector, "schedule": "rate(1 hour)"})
    api = HttpApi("api", {"authorizer": JwtAuthorizerConfig.firebase("demo-x")})
    api.route("POST /media/upload", api_fn)
    api.route("GET /media/{id}", api_fn)
    api.route("GET /health", api_fn, public=True)
    StaticSite("web")
    alerts = Alerts("ops", {"emails": ["ops@example.com"], "monthly_budget_usd": 200})
    for function in (api_fn, worker, collector):
        alerts.watch_function(function)
    alerts.watch_api(api)
    alerts.watch_queue(jobs)
    alerts.watch_queue(schedule)
    public.extend(api.public_routes)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_all_aws_components_pass_every_policy_rule(tmp_path: Path, stack: str) -> None:
    root = make_code_root(tmp_path)
    public: list[str] = []
    resources = run_under_mocks(lambda: _platform(root, public), stack=stack)
    assert public == ["GET /health"]
    assert check_resources(resources, stack=stack, public_routes=public) == []


def test_the_checks_notice_an_unauthorized_route_without_the_declaration(tmp_path: Path) -> None:
    root = make_code_root(tmp_path)
    resources = run_under_mocks(lambda: _platform(root, []))
    violations = check_resources(resources, rules=["api-route-authorized"])
    assert [v.rule for v in violations] == ["api-route-authorized"]


def test_existing_resources_are_linkable_with_the_same_least_privilege(tmp_path: Path) -> None:
    root = make_code_root(tmp_path)
    table_arn = "arn:aws:dynamodb:us-east-1:1:table/legacy"

    def program() -> None:
        Function(
            "api",
            {
                "handler": "app.svc.health.handler.handle",
                "code_root": str(root),
                "layer": False,
                "dead_letter": False,
                "link": [
                    Function.from_existing("mailer", arn="arn:aws:lambda:r:1:function:m",
                                           function_name="m"),
                    Table.from_existing("legacy", arn=table_arn, table_name="legacy",
                                        index_names=["GSI1"]).read_only(),
                    SecureBucket.from_existing("archive", bucket_name="archive-bucket"),
                    Queue.from_existing("old", arn="arn:aws:sqs:r:1:old", url="https://q/old"),
                ],
            },
        )  # fmt: skip

    resources = run_under_mocks(program)
    (policy,) = [r for r in resources if r.type == "aws:iam/rolePolicy:RolePolicy"]
    statements = policy_statements(policy)
    assert actions_on(statements, "arn:aws:lambda:r:1:function:m") == {"lambda:InvokeFunction"}
    assert "dynamodb:PutItem" not in actions_on(statements, table_arn)
    assert "dynamodb:Query" in actions_on(statements, f"{table_arn}/index/GSI1")
    assert "s3:PutObject" in actions_on(statements, "arn:aws:s3:::archive-bucket/*")
    assert "sqs:SendMessage" in actions_on(statements, "arn:aws:sqs:r:1:old")
    (function,) = [r for r in resources if r.type == "aws:lambda/function:Function"]
    assert set(function.inputs["environment"]["variables"]) == {
        "MAILER_FUNCTION_NAME",
        "MAILER_FUNCTION_ARN",
        "LEGACY_TABLE_NAME",
        "ARCHIVE_BUCKET_NAME",
        "OLD_QUEUE_URL",
    }
