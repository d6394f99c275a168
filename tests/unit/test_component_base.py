"""The component base: transforms reach the child they name, and a misspelt role is refused."""

from typing import Any, TypedDict

import pulumi_aws as aws
import pytest

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transform
from hybridstack.components.link import LinkSpec, env_prefix, resolve_link
from hybridstack.testing import of_type, run_under_mocks


class _ExampleTransforms(TypedDict, total=False):
    queue: Transform


class _Example(HybridComponent):
    TYPE = "hybridstack:test:Example"
    TRANSFORMS = _ExampleTransforms

    def __init__(self, name: str, transform: Any = None) -> None:
        super().__init__(name, transform=transform)
        self.queue = self.child("queue", aws.sqs.Queue, name, {"message_retention_seconds": 60})
        self.register_outputs({})


def test_transform_edits_the_named_child_in_place() -> None:
    def longer(args: dict[str, Any]) -> None:
        args["message_retention_seconds"] = 3600

    resources = run_under_mocks(lambda: _Example("jobs", transform={"queue": longer}))
    (queue,) = of_type(resources, "aws:sqs/queue:Queue")
    assert queue.inputs["messageRetentionSeconds"] == 3600


def test_transform_may_return_replacement_arguments() -> None:
    resources = run_under_mocks(
        lambda: _Example("jobs", transform={"queue": lambda a: {**a, "fifo_queue": True}})
    )
    (queue,) = of_type(resources, "aws:sqs/queue:Queue")
    assert queue.inputs["fifoQueue"] is True
    assert queue.inputs["messageRetentionSeconds"] == 60


def test_unknown_transform_role_names_the_roles_that_exist() -> None:
    with pytest.raises(
        ComponentArgsError, match=r"no child role\(s\) bucket; the roles are: queue"
    ):
        _Example("jobs", transform={"bucket": lambda a: None})


def test_env_prefix_and_link_resolution() -> None:
    assert env_prefix("media-store") == "MEDIA_STORE"
    assert env_prefix("3d.models") == "R_3D_MODELS"
    spec = LinkSpec(environment={"X": "1"})
    assert resolve_link(spec) is spec
    with pytest.raises(TypeError, match="cannot link int"):
        resolve_link(3)  # type: ignore[arg-type]
