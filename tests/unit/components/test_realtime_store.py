"""RealtimeStore: protected in prod, rules checked and released, indexes, TTL, AWS access."""

from pathlib import Path
from typing import Any

import pulumi
import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.realtime_store import RealtimeStore, rules_release_name
from hybridstack.policy import check_resources
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks

DATABASE = "gcp:firestore/database:Database"
GOOD_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /conversations/{id}/{document=**} {
      allow read, write: if request.auth != null && request.auth.uid in resource.data.members;
    }
  }
}
"""


def _store(transform: Any = None, **args: Any) -> Any:
    return lambda: RealtimeStore("chat", {"project": "acme", **args}, transform=transform)


def test_prod_has_pitr_and_delete_protection() -> None:
    (db,) = of_type(run_under_mocks(_store(), stack="prod"), DATABASE)
    assert db.inputs["pointInTimeRecoveryEnablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert db.inputs["deleteProtectionState"] == "DELETE_PROTECTION_ENABLED"
    assert db.inputs["deletionPolicy"] == "ABANDON"
    assert db.inputs["type"] == "FIRESTORE_NATIVE"


def test_dev_has_neither() -> None:
    (db,) = of_type(run_under_mocks(_store(), stack="dev"), DATABASE)
    assert db.inputs["pointInTimeRecoveryEnablement"] == "POINT_IN_TIME_RECOVERY_DISABLED"
    assert db.inputs["deleteProtectionState"] == "DELETE_PROTECTION_DISABLED"
    assert db.inputs["deletionPolicy"] == "DELETE"


def test_protect_overrides_the_stack_default() -> None:
    (db,) = of_type(run_under_mocks(_store(protect=True), stack="dev"), DATABASE)
    assert db.inputs["deleteProtectionState"] == "DELETE_PROTECTION_ENABLED"


def test_rules_file_is_released_to_the_database(tmp_path: Path) -> None:
    rules = tmp_path / "firestore.rules"
    rules.write_text(GOOD_RULES)
    resources = run_under_mocks(_store(rules_file=str(rules), database_id="chat-db"))
    (ruleset,) = of_type(resources, "gcp:firebaserules/ruleset:Ruleset")
    assert ruleset.inputs["source"]["files"] == [{"name": "firestore.rules", "content": GOOD_RULES}]
    (release,) = of_type(resources, "gcp:firebaserules/release:Release")
    assert release.inputs["name"] == "cloud.firestore/chat-db"
    assert release.inputs["rulesetName"] == f"projects/acme/rulesets/{ruleset.outputs['name']}"
    (db,) = of_type(resources, DATABASE)
    assert db.inputs["name"] == "chat-db"


def test_default_rules_deny_clients() -> None:
    resources = run_under_mocks(_store())
    (ruleset,) = of_type(resources, "gcp:firebaserules/ruleset:Ruleset")
    assert "allow read, write: if false;" in ruleset.inputs["source"]["files"][0]["content"]
    (release,) = of_type(resources, "gcp:firebaserules/release:Release")
    assert release.inputs["name"] == rules_release_name("(default)") == "cloud.firestore"


def test_rules_file_that_allows_everything_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "open.rules"
    rules.write_text(GOOD_RULES.replace("if request.auth != null && ", "if true || "))
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=r"RealtimeStore 'chat': .*open\.rules.* are open"):
        run_under_mocks(_store(rules_file=str(rules)), mocks=mocks)
    assert mocks.resources == []


def test_indexes_and_ttl_fields() -> None:
    resources = run_under_mocks(
        _store(
            indexes=[
                {
                    "collection": "messages",
                    "fields": [("conversationId", "ASCENDING"), ("sentAt", "DESCENDING")],
                },
                {
                    "collection": "conversations",
                    "fields": [("members", "CONTAINS"), ("updatedAt", "DESCENDING")],
                    "query_scope": "COLLECTION_GROUP",
                },
            ],
            ttl_fields=[{"collection": "typing", "field": "expireAt"}],
        )
    )
    first, second = of_type(resources, "gcp:firestore/index:Index")
    assert first.inputs["collection"] == "messages"
    assert first.inputs["fields"] == [
        {"fieldPath": "conversationId", "order": "ASCENDING"},
        {"fieldPath": "sentAt", "order": "DESCENDING"},
    ]
    assert second.inputs["fields"][0] == {"fieldPath": "members", "arrayConfig": "CONTAINS"}
    assert second.inputs["queryScope"] == "COLLECTION_GROUP"
    (ttl,) = of_type(resources, "gcp:firestore/field:Field")
    assert (ttl.inputs["collection"], ttl.inputs["field"]) == ("typing", "expireAt")
    assert ttl.inputs["ttlConfig"] == {}
    assert ttl.inputs["indexConfig"] == {}


def _record(seen: dict[str, Any], key: str, value: Any) -> None:
    """Put the resolved ``value`` (a plain value or an output) in ``seen[key]``."""
    pulumi.Output.from_input(value).apply(lambda v: seen.__setitem__(key, v))


def test_aws_access_is_granted_on_this_database_only_and_linked() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        access = CrossCloudAccess("xc", {"project": "acme", "trusted_aws_roles": ["processor"]})
        store = RealtimeStore(
            "chat",
            {
                "project": "acme",
                "database_id": "chat-db",
                "access": access,
                "collection_prefix": "dev_",
            },
        )
        spec = store.link_spec()
        assert spec.statements == []
        for key, value in spec.environment.items():
            _record(seen, key, value)

    resources = run_under_mocks(program)
    grants = [
        r for r in of_type(resources, "gcp:projects/iAMMember:IAMMember")
        if r.inputs["role"] == "roles/datastore.user"
    ]  # fmt: skip
    (grant,) = grants
    assert grant.inputs["member"] == "serviceAccount:xc-cross@acme.iam.gserviceaccount.com"
    assert grant.inputs["condition"]["expression"] == (
        'resource.name == "projects/acme/databases/chat-db"'
    )
    assert seen["CHAT_FIRESTORE_PROJECT"] == "acme"
    assert seen["CHAT_FIRESTORE_DATABASE"] == "chat-db"
    assert seen["CHAT_FIRESTORE_COLLECTION_PREFIX"] == "dev_"
    assert '"type": "external_account"' in seen["XC_GCP_CREDENTIALS"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": "allow"}, "service cloud.firestore"),
        ({"rules": GOOD_RULES, "rules_file": "x.rules"}, "not both"),
        ({"rules_file": "/nonexistent/firestore.rules"}, "does not exist"),
        ({"database_id": "Chat"}, "database_id 'Chat'"),
        ({"indexes": [{"collection": "m", "fields": [("a", "ASCENDING")]}]}, "at least two"),
        (
            {"indexes": [{"collection": "m", "fields": [("a", "UP"), ("b", "ASCENDING")]}]},
            r"indexes\[0\]\.fields: order 'UP'",
        ),
        ({"ttl_fields": [{"collection": "a/b", "field": "x"}]}, r"ttl_fields\[0\]\.collection"),
        ({"access": "xc"}, "access must be a CrossCloudAccess"),
        ({"access_role": "roles/owner"}, "access_role='roles/owner'; use one of"),
        ({"protect": "yes"}, "protect must be True or False"),
        ({"rule": GOOD_RULES}, "unknown argument 'rule' \\(did you mean 'rules'\\?\\)"),
        ({"ttl_fields": ["typing.expireAt"]}, r"ttl_fields\[0\] must be"),
    ],
)
def test_invalid_arguments_fail_before_registration(kwargs: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(_store(**kwargs), mocks=mocks)
    assert mocks.resources == []


def test_transform_reaches_the_database_only() -> None:
    resources = run_under_mocks(
        _store(transform={"database": lambda a: {**a, "location_id": "eur3"}})
    )
    (db,) = of_type(resources, DATABASE)
    assert db.inputs["locationId"] == "eur3"
    (ruleset,) = of_type(resources, "gcp:firebaserules/ruleset:Ruleset")
    assert "locationId" not in ruleset.inputs


def test_policy_checks_see_an_unprotected_prod_database() -> None:
    assert check_resources(run_under_mocks(_store(), stack="prod"), stack="prod") == []
    violations = check_resources(run_under_mocks(_store(protect=False), stack="prod"), stack="prod")
    assert {v.rule for v in violations} == {"prod-data-protected"}
    reasons = " ".join(v.reason for v in violations)
    assert "delete protection is off" in reasons
    assert len(violations) == 2
