"""Policy checks over every resource a stack declares: pure functions, usable from any test.

The same rules run in three places: our own test suite (every stack of the reference program),
users' tests (:func:`check_resources` / :func:`assert_policies`), and ``pulumi preview
--policy-pack policypack`` (the CrossGuard pack in ``policypack/`` calls these functions).

The rules (``RULES``; each violation names its rule, the resource and the reason):

``s3-bucket-encrypted``
    every S3 bucket has default server-side encryption (inline or a
    ``BucketServerSideEncryptionConfiguration`` pointing at it).
``s3-public-access-blocked``
    every bucket has a ``BucketPublicAccessBlock`` with all four switches on (CloudFront reads
    through origin access control, so no bucket needs to be public).
``s3-deny-non-tls``
    every bucket's policy denies ``s3:*`` when ``aws:SecureTransport`` is false.
``iam-no-wildcards``
    identity policies (role inline policies, ``RolePolicy``, ``Policy``) allow no action ``*`` or
    ``<service>:*``, use no ``NotAction``/``NotResource`` in an Allow, and use resource ``*``
    only for the actions in :data:`ACTIONS_WITHOUT_RESOURCE_LEVEL` (AWS accepts nothing else for
    them: X-Ray segments and sampling, CloudWatch ``PutMetricData``, ENI management for VPC
    Lambdas, ``sts:GetCallerIdentity``). ``logs:CreateLogGroup`` is *not* on that list: it takes a
    log-group ARN, and our log groups are created by Pulumi anyway. Attaching AWS managed
    policies named ``*FullAccess``, ``AdministratorAccess`` or ``PowerUserAccess`` is a
    violation, and so is a role trust policy that lets any principal (``*``) assume the role
    without a condition.
``lambda-log-group-retained``
    every Lambda function logs to a CloudWatch log group that exists in the stack (its
    ``loggingConfig.logGroup`` or ``/aws/lambda/<name>``) and has ``retentionInDays`` set.
``lambda-async-dlq``
    a function invoked asynchronously (S3 notification, SNS subscription, EventBridge rule
    target, EventBridge Scheduler schedule, or a Lambda permission for one of those services)
    has a dead-letter queue (``deadLetterConfig``) or an on-failure destination
    (``FunctionEventInvokeConfig``). SQS event-source mappings are synchronous polls; their
    failures go to the queue's own DLQ.
``api-route-authorized``
    every API Gateway v2 route uses an authorizer (JWT, custom or IAM) unless its route key is
    declared public: pass ``public_routes`` (an ``HttpApi`` lists the routes it created with
    ``public=True`` in ``api.public_routes``; the CrossGuard pack takes them as config).
``firestore-rules-not-open``
    no released Firestore ruleset lets anyone write, or read everything, without a condition
    (the same validator ``RealtimeStore`` uses).
``prod-data-protected``
    on production stacks only: DynamoDB tables have point-in-time recovery and deletion
    protection; Aurora clusters have deletion protection and keep a final snapshot; Firestore
    databases have PITR and delete protection; every bucket has versioning enabled, except
    buckets that only receive S3 access logs.

Example (a user's own test)::

    from hybridstack.policy import assert_policies

    def test_my_program_is_safe():
        assert_policies(my_program, stack="prod", config={"env": "prod"})
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from hybridstack.components.firestore_rules import find_open_rules
from hybridstack.components.stack_defaults import is_production as _is_production_stack
from hybridstack.recording import RegisteredResource, run_under_mocks

ACTIONS_WITHOUT_RESOURCE_LEVEL = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "cloudwatch:PutMetricData",
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "sts:GetCallerIdentity",
    }
)
"""Actions AWS only accepts with ``"Resource": "*"`` (no resource-level permissions)."""

ASYNC_PRINCIPALS = frozenset(
    {
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "events.amazonaws.com",
        "scheduler.amazonaws.com",
        "iot.amazonaws.com",
        "ses.amazonaws.com",
        "logs.amazonaws.com",
    }
)
"""Services that invoke Lambda asynchronously (their failures need a DLQ or destination)."""

_BUCKET = re.compile(r"^aws:s3/bucket(V2)?:Bucket(V2)?$")
_ENCRYPTION = re.compile(
    r"^aws:s3/bucketServerSideEncryptionConfiguration(V2)?:"
    r"BucketServerSideEncryptionConfiguration(V2)?$"
)
_VERSIONING = re.compile(r"^aws:s3/bucketVersioning(V2)?:BucketVersioning(V2)?$")
_LOGGING = re.compile(r"^aws:s3/bucketLogging(V2)?:BucketLogging(V2)?$")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
LAMBDA = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ROUTE = "aws:apigatewayv2/route:Route"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY_ATTACHMENTS = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
FIRESTORE_DATABASE = "gcp:firestore/database:Database"
RULESET = "gcp:firebaserules/ruleset:Ruleset"

UNKNOWN = "<unknown during preview>"
"""What an adapter puts where the engine does not know a value yet (``pulumi preview``)."""


class UnknownDuringPreviewError(Exception):
    """A rule needs a value that is only known after the update (raised only in previews)."""

    def __init__(self, subject: str, prop: str) -> None:
        self.subject = subject
        self.prop = prop
        super().__init__(f"{prop} of {subject} can't be known during preview")


IDENTIFYING_PROPS = ("id", "name", "arn", "bucket", "qualifiedArn", "functionName", "url")
"""Properties whose values other resources use to point at a resource (ids, names, ARNs)."""


@dataclass(frozen=True)
class PolicySubject:
    """A resource as the checks see it, whatever produced it (mocks or the CrossGuard engine).

    ``props`` uses the provider's camelCase names. ``identifiers`` are the values other
    resources use to point at this one (id, name, ARN ...); ``depends_on`` maps a property to
    the keys of the resources its value came from (CrossGuard knows this even when values are
    still unknown during a preview).
    """

    key: str
    type: str
    name: str
    props: Mapping[str, Any]
    identifiers: frozenset[str] = frozenset()
    depends_on: Mapping[str, frozenset[str]] = field(default_factory=dict)
    custom: bool = True


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which resource, and why."""

    rule: str
    resource: str
    type: str
    reason: str

    @classmethod
    def of(cls, rule: str, subject: PolicySubject, reason: str) -> Violation:
        """``subject`` breaks ``rule`` because of ``reason``.

        Example:
            Violation.of("s3-deny-non-tls", bucket, "no statement denies non-TLS requests")
        """
        return cls(rule, subject.name, subject.type, reason)

    def __str__(self) -> str:
        return f"[{self.rule}] {self.type} {self.resource!r}: {self.reason}"


class PolicyViolationError(AssertionError):
    """A program broke policy rules; the message lists every violation."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"{len(self.violations)} policy violation(s):\n{lines}")


def _normalise_identifier(value: str) -> str:
    return value.removesuffix(":*").removesuffix(":$LATEST")


def subject_from_registered(resource: RegisteredResource) -> PolicySubject:
    """The policy view of a resource recorded by :func:`hybridstack.recording.run_under_mocks`."""
    props = {**resource.outputs, **resource.inputs}
    identifiers = {resource.id}
    for source in (resource.outputs, resource.inputs):
        for prop in IDENTIFYING_PROPS:
            value = source.get(prop)
            if isinstance(value, str) and value:
                identifiers.add(_normalise_identifier(value))
    return PolicySubject(
        key=f"{resource.type}::{resource.name}",
        type=resource.type,
        name=resource.name,
        props=props,
        identifiers=frozenset(identifiers),
        custom=resource.custom,
    )


def _subjects(resources: Iterable[RegisteredResource | PolicySubject]) -> list[PolicySubject]:
    return [r if isinstance(r, PolicySubject) else subject_from_registered(r) for r in resources]


# --- small helpers over props -------------------------------------------------------------


def _values_at(value: Any, path: Sequence[str]) -> Iterator[Any]:
    """Every value at ``path`` below ``value``, looking through lists on the way."""
    if isinstance(value, list):
        for item in value:
            yield from _values_at(item, path)
        return
    if not path:
        if value is not None:
            yield value
        return
    if isinstance(value, Mapping):
        yield from _values_at(value.get(path[0]), path[1:])


def _strings_at(subject: PolicySubject, path: str) -> list[str]:
    return [
        _normalise_identifier(v)
        for v in _values_at(subject.props, path.split("."))
        if isinstance(v, str)
    ]


def _first(subject: PolicySubject, path: str) -> Any:
    return next(_values_at(subject.props, path.split(".")), None)


def refers_to(subject: PolicySubject, path: str, target: PolicySubject) -> bool:
    """Whether ``subject``'s property at ``path`` points at ``target`` (by value or dependency)."""
    if any(value in target.identifiers for value in _strings_at(subject, path)):
        return True
    return target.key in subject.depends_on.get(path.split(".")[0], frozenset())


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _json(value: Any) -> Any:
    if value == UNKNOWN:
        raise UnknownDuringPreviewError("a resource", "a policy document")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _statements(document: Any) -> list[Mapping[str, Any]]:
    parsed = _json(document)
    if not isinstance(parsed, Mapping):
        return []
    statements = parsed.get("Statement", parsed.get("statements", []))
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _of(subjects: Iterable[PolicySubject], *types: str | re.Pattern[str]) -> list[PolicySubject]:
    def matches(kind: str) -> bool:
        return any(t.match(kind) if isinstance(t, re.Pattern) else t == kind for t in types)

    return [s for s in subjects if s.custom and matches(s.type)]


# --- the rules ----------------------------------------------------------------------------


P = ParamSpec("P")


def _listed(check: Callable[P, Iterator[Violation]]) -> Callable[P, list[Violation]]:
    """A rule written as a generator of its violations, called for their list (all of them are
    found when it returns, so errors such as UnknownDuringPreviewError arise inside the call)."""

    @functools.wraps(check)
    def listed(*args: P.args, **kwargs: P.kwargs) -> list[Violation]:
        return list(check(*args, **kwargs))

    return listed


@_listed
def check_buckets_encrypted(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``s3-bucket-encrypted``: every bucket has default server-side encryption."""
    configs = _of(subjects, _ENCRYPTION)
    for bucket in _of(subjects, _BUCKET):
        inline = _first(bucket, "serverSideEncryptionConfiguration.rule") or _first(
            bucket, "serverSideEncryptionConfigurations.rules"
        )
        separate = any(refers_to(c, "bucket", bucket) and _first(c, "rules") for c in configs)
        if not (inline or separate):
            yield Violation.of(
                "s3-bucket-encrypted",
                bucket,
                "no default server-side encryption configuration (SSE-S3 or SSE-KMS)",
            )


_BLOCK_SWITCHES = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@_listed
def check_public_access_blocked(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``s3-public-access-blocked``: every bucket blocks public ACLs and policies."""
    blocks = _of(subjects, PUBLIC_ACCESS_BLOCK)
    for bucket in _of(subjects, _BUCKET):
        mine = [b for b in blocks if refers_to(b, "bucket", bucket)]
        if not mine:
            reason = "no BucketPublicAccessBlock"
        else:
            off = [s for s in _BLOCK_SWITCHES if not any(_truthy(b.props.get(s)) for b in mine)]
            if not off:
                continue
            reason = f"public access block leaves {', '.join(off)} off"
        yield Violation.of("s3-public-access-blocked", bucket, reason)


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    actions = _as_list(statement.get("Action"))
    if not any(a in ("s3:*", "*") for a in actions):
        return False
    condition = statement.get("Condition", {})
    if not isinstance(condition, Mapping):
        return False
    secure = condition.get("Bool", {}) if isinstance(condition.get("Bool"), Mapping) else {}
    return str(secure.get("aws:SecureTransport", "")).lower() == "false"


@_listed
def check_non_tls_denied(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``s3-deny-non-tls``: every bucket's policy denies requests without TLS."""
    policies = _of(subjects, BUCKET_POLICY)
    for bucket in _of(subjects, _BUCKET):
        mine = [p for p in policies if refers_to(p, "bucket", bucket)]
        documents = [p.props.get("policy") for p in mine] + [bucket.props.get("policy")]
        if not any(_denies_insecure_transport(s) for d in documents for s in _statements(d)):
            yield Violation.of(
                "s3-deny-non-tls",
                bucket,
                "no bucket policy statement denies s3:* when aws:SecureTransport is false",
            )


_BROAD_MANAGED = re.compile(r"(FullAccess|/AdministratorAccess|/PowerUserAccess)$")


def _wildcard_problems(statement: Mapping[str, Any]) -> list[str]:
    if statement.get("Effect", "Allow") != "Allow":
        return []
    problems = []
    if "NotAction" in statement or "NotResource" in statement:
        problems.append("an Allow with NotAction/NotResource grants everything else")
    actions = [str(a) for a in _as_list(statement.get("Action"))]
    broad = [a for a in actions if a == "*" or a.endswith(":*")]
    if broad:
        problems.append(f"allows every action ({', '.join(broad)})")
    if "*" in _as_list(statement.get("Resource")):
        needing = [a for a in actions if a not in ACTIONS_WITHOUT_RESOURCE_LEVEL]
        if needing:
            problems.append(
                f"allows {', '.join(needing)} on resource '*' (these actions accept ARNs)"
            )
    return problems


@_listed
def check_iam_wildcards(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``iam-no-wildcards``: least privilege, ``*`` only where AWS requires it."""

    def report(subject: PolicySubject, document: Any, where: str) -> Iterator[Violation]:
        for index, statement in enumerate(_statements(document)):
            for problem in _wildcard_problems(statement):
                sid = statement.get("Sid") or f"#{index}"
                yield Violation.of("iam-no-wildcards", subject, f"{where} {sid} {problem}")

    for subject in _of(subjects, ROLE_POLICY, IAM_POLICY):
        yield from report(subject, subject.props.get("policy"), "statement")
    for role in _of(subjects, ROLE):
        for inline in _as_list(role.props.get("inlinePolicies")):
            if isinstance(inline, Mapping):
                yield from report(
                    role, inline.get("policy"), f"inline policy {inline.get('name', '')!s}"
                )
        for statement in _statements(role.props.get("assumeRolePolicy")):
            principal = statement.get("Principal")
            anyone = principal == "*" or (
                isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))
            )
            if statement.get("Effect") == "Allow" and anyone and not statement.get("Condition"):
                yield Violation.of(
                    "iam-no-wildcards",
                    role,
                    "trust policy lets any principal ('*') assume the role without a condition",
                )
        for arn in _as_list(role.props.get("managedPolicyArns")):
            if isinstance(arn, str) and _BROAD_MANAGED.search(arn):
                yield Violation.of("iam-no-wildcards", role, f"attaches {arn}")
    for attachment in _of(subjects, ROLE_POLICY_ATTACHMENT, ROLE_POLICY_ATTACHMENTS):
        arns = _as_list(attachment.props.get("policyArn")) + _as_list(
            attachment.props.get("policyArns")
        )
        for arn in arns:
            if isinstance(arn, str) and _BROAD_MANAGED.search(arn):
                yield Violation.of("iam-no-wildcards", attachment, f"attaches {arn}")


def _function_names(function: PolicySubject) -> set[str]:
    names = {i for i in function.identifiers if not i.startswith("arn:")}
    for arn in function.identifiers:
        if ":function:" in arn:
            names.add(arn.split(":function:", 1)[1].split(":")[0])
    return names


@_listed
def check_function_log_groups(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``lambda-log-group-retained``: each function's log group exists with a retention."""
    groups = _of(subjects, LOG_GROUP)
    for function in _of(subjects, LAMBDA):
        expected = {f"/aws/lambda/{n}" for n in _function_names(function)}
        mine = [
            g
            for g in groups
            if refers_to(function, "loggingConfig.logGroup", g)
            or expected & set(_strings_at(g, "name"))
        ]
        if not mine:
            reason = "no CloudWatch log group in the stack (logs would be kept forever)"
        elif not any(_first(g, "retentionInDays") for g in mine):
            reason = f"log group {mine[0].name!r} has no retentionInDays (kept forever)"
        else:
            continue
        yield Violation.of("lambda-log-group-retained", function, reason)


def _async_triggers(
    function: PolicySubject, subjects: Sequence[PolicySubject]
) -> list[PolicySubject]:
    triggers = []
    for permission in _of(subjects, LAMBDA_PERMISSION):
        if permission.props.get("principal") in ASYNC_PRINCIPALS and refers_to(
            permission, "function", function
        ):
            triggers.append(permission)
    for notification in _of(subjects, BUCKET_NOTIFICATION):
        if refers_to(notification, "lambdaFunctions.lambdaFunctionArn", function):
            triggers.append(notification)
    for subscription in _of(subjects, TOPIC_SUBSCRIPTION):
        if subscription.props.get("protocol") == "lambda" and refers_to(
            subscription, "endpoint", function
        ):
            triggers.append(subscription)
    for target in _of(subjects, EVENT_TARGET):
        if refers_to(target, "arn", function):
            triggers.append(target)
    for schedule in _of(subjects, SCHEDULE):
        if refers_to(schedule, "target.arn", function):
            triggers.append(schedule)
    return triggers


@_listed
def check_async_functions_have_dlq(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``lambda-async-dlq``: asynchronously invoked functions keep their failed events."""
    configs = _of(subjects, INVOKE_CONFIG)
    for function in _of(subjects, LAMBDA):
        triggers = _async_triggers(function, subjects)
        if not triggers:
            continue
        dlq = _first(function, "deadLetterConfig.targetArn")
        destination = any(
            refers_to(c, "functionName", function)
            and _first(c, "destinationConfig.onFailure.destination")
            for c in configs
        )
        if not (dlq or destination):
            via = ", ".join(sorted({f"{t.type.rsplit(':', 1)[-1]} {t.name!r}" for t in triggers}))
            yield Violation.of(
                "lambda-async-dlq",
                function,
                f"invoked asynchronously (by {via}) but has neither a dead-letter queue "
                "nor an on-failure destination: failed events would be dropped",
            )


@_listed
def check_routes_authorized(
    subjects: Sequence[PolicySubject], public_routes: Iterable[str] = ()
) -> Iterator[Violation]:
    """``api-route-authorized``: every route has an authorizer unless declared public."""
    public = set(public_routes)
    for route in _of(subjects, ROUTE):
        kind = str(route.props.get("authorizationType") or "NONE").upper()
        key = str(route.props.get("routeKey", ""))
        if kind in ("JWT", "CUSTOM") and route.props.get("authorizerId"):
            continue
        if kind == "AWS_IAM" or key in public:
            continue
        yield Violation.of(
            "api-route-authorized",
            route,
            f"route {key!r} has authorization {kind} and is not declared public",
        )


@_listed
def check_firestore_rules(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``firestore-rules-not-open``: no ruleset opens data to anyone."""
    for ruleset in _of(subjects, RULESET):
        for file in _as_list(_first(ruleset, "source.files")):
            if not isinstance(file, Mapping) or not isinstance(file.get("content"), str):
                continue
            for finding in find_open_rules(file["content"]):
                yield Violation.of(
                    "firestore-rules-not-open",
                    ruleset,
                    f"{file.get('name', 'rules')} {finding}",
                )


@_listed
def check_prod_data_protected(subjects: Sequence[PolicySubject]) -> Iterator[Violation]:
    """``prod-data-protected``: PITR, deletion protection and versioning (prod stacks only)."""

    def violation(subject: PolicySubject, reason: str) -> Violation:
        return Violation.of("prod-data-protected", subject, reason)

    for table in _of(subjects, DYNAMODB_TABLE):
        if not _truthy(_first(table, "pointInTimeRecovery.enabled")):
            yield violation(table, "point-in-time recovery is off")
        if not _truthy(table.props.get("deletionProtectionEnabled")):
            yield violation(table, "deletion protection is off")
    for cluster in _of(subjects, RDS_CLUSTER):
        if not _truthy(cluster.props.get("deletionProtection")):
            yield violation(cluster, "deletion protection is off")
        if _truthy(cluster.props.get("skipFinalSnapshot")):
            yield violation(cluster, "skipFinalSnapshot is on (no snapshot when deleted)")
    for database in _of(subjects, FIRESTORE_DATABASE):
        if database.props.get("pointInTimeRecoveryEnablement") != "POINT_IN_TIME_RECOVERY_ENABLED":
            yield violation(database, "point-in-time recovery is off")
        if database.props.get("deleteProtectionState") != "DELETE_PROTECTION_ENABLED":
            yield violation(database, "delete protection is off")
    versionings = _of(subjects, _VERSIONING)
    log_targets = _of(subjects, _LOGGING)
    for bucket in _of(subjects, _BUCKET):
        if any(refers_to(log, "targetBucket", bucket) for log in log_targets) and not any(
            refers_to(log, "bucket", bucket) for log in log_targets
        ):
            continue  # an access-log bucket: its objects are written once by S3 itself
        inline = _truthy(_first(bucket, "versioning.enabled"))
        separate = any(
            refers_to(v, "bucket", bucket)
            and _first(v, "versioningConfiguration.status") == "Enabled"
            for v in versionings
        )
        if not (inline or separate):
            yield violation(bucket, "versioning is not enabled")


Check = Callable[[Sequence[PolicySubject]], list[Violation]]

RULES: dict[str, tuple[str, Check]] = {
    "s3-bucket-encrypted": ("S3 buckets have default encryption", check_buckets_encrypted),
    "s3-public-access-blocked": (
        "S3 buckets block all public access",
        check_public_access_blocked,
    ),
    "s3-deny-non-tls": ("S3 bucket policies deny requests without TLS", check_non_tls_denied),
    "iam-no-wildcards": (
        "IAM allows no '*' action or resource except where AWS requires it",
        check_iam_wildcards,
    ),
    "lambda-log-group-retained": (
        "Lambda functions log to a log group with a retention period",
        check_function_log_groups,
    ),
    "lambda-async-dlq": (
        "Asynchronously invoked functions have a DLQ or on-failure destination",
        check_async_functions_have_dlq,
    ),
    "api-route-authorized": (
        "API routes use an authorizer unless declared public",
        check_routes_authorized,
    ),
    "firestore-rules-not-open": ("Firestore rules are not open", check_firestore_rules),
    "prod-data-protected": (
        "Production stacks have PITR, deletion protection and versioning",
        check_prod_data_protected,
    ),
}
"""Every rule: id -> (description, check). ``prod-data-protected`` runs on prod stacks only."""

PROD_ONLY_RULES = frozenset({"prod-data-protected"})


def is_production(stack: str) -> bool:
    """Whether a stack name or ``env`` value is production (the components' own definition:
    ``prod``, ``production``, ``prd``, ``live``, ``prod-*``, ``prod_*``)."""
    return _is_production_stack(stack)


def check_resources(
    resources: Iterable[RegisteredResource | PolicySubject],
    *,
    stack: str = "dev",
    public_routes: Iterable[str] = (),
    rules: Iterable[str] | None = None,
) -> list[Violation]:
    """Run every rule (or the ``rules`` named) over ``resources``; return the violations.

    ``stack`` decides whether the production-only rules apply (see :func:`is_production`).
    ``public_routes`` adds route keys (``"GET /health"``) that may go without an authorizer.
    """
    subjects = _subjects(resources)
    chosen = list(RULES) if rules is None else list(rules)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise ValueError(f"unknown policy rule(s) {unknown}; the rules are: {', '.join(RULES)}")
    violations: list[Violation] = []
    for rule in chosen:
        if rule in PROD_ONLY_RULES and not is_production(stack):
            continue
        check = RULES[rule][1]
        if rule == "api-route-authorized":
            violations.extend(check_routes_authorized(subjects, public_routes))
        else:
            violations.extend(check(subjects))
    return violations


def assert_policies(
    program: Callable[[], Any],
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    project: str = "hybridstack",
    public_routes: Iterable[str] = (),
) -> list[RegisteredResource]:
    """Run ``program`` under Pulumi mocks and raise :class:`PolicyViolationError` if it breaks
    any rule; return the registered resources otherwise (for further assertions).

    The production-only rules apply when ``stack`` or the ``env`` config value is production.
    """
    resources = run_under_mocks(program, stack=stack, project=project, config=config)
    given = dict(config or {})
    env = str(given.get("env", given.get(f"{project}:env", stack)))
    effective = stack if is_production(stack) else env
    violations = check_resources(resources, stack=effective, public_routes=public_routes)
    if violations:
        raise PolicyViolationError(violations)
    return resources
