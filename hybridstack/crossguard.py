"""The hybridstack policy rules as a CrossGuard policy pack for ``pulumi preview --policy-pack``.

Each rule of :mod:`hybridstack.policy` becomes one mandatory ``StackValidationPolicy`` with the
same id, so a violation blocks ``pulumi up``/``preview`` and names the resource, exactly as the
checks do in tests. The pack lives in ``policypack/`` (its ``__main__.py`` calls
:func:`serve`); run it with::

    pulumi preview --stack prod --policy-pack policypack

Production-only rules apply when the pack's ``env`` setting, the stack's ``hybridstack:env``
config, or else the stack name is production. Public routes can be added with the pack
config, a JSON file passed with ``pulumi preview --policy-pack policypack
--policy-pack-config policy-config.json``::

    {"api-route-authorized": {"publicRoutes": ["GET /health"]}}

Values unknown during a preview (ARNs in policy documents, for instance) make the affected rule
report "can't run during preview" (advisory) instead of a false violation; the update runs it
again with the real values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from hybridstack.components.stack_defaults import environment
from hybridstack.policy import (
    IDENTIFYING_PROPS,
    PROD_ONLY_RULES,
    RULES,
    UNKNOWN,
    PolicySubject,
    UnknownDuringPreviewError,
    check_routes_authorized,
    is_production,
)

PACK_NAME = "hybridstack"


def _plain(value: Any) -> Any:
    """The engine's property proxy as plain data, unknown values replaced by ``UNKNOWN``."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[key] = _plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def subject_from_policy_resource(resource: PolicyResource) -> PolicySubject:
    """The policy view of a resource the CrossGuard engine hands a stack validation."""
    props = _plain(resource.props)
    identifiers = {
        str(props[p]).removesuffix(":*")
        for p in IDENTIFYING_PROPS
        if isinstance(props.get(p), str) and props[p] and props[p] != UNKNOWN
    }
    depends_on = {
        prop: frozenset(dep.urn for dep in deps)
        for prop, deps in resource.property_dependencies.items()
    }
    return PolicySubject(
        key=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        props=props,
        identifiers=frozenset(identifiers),
        depends_on=depends_on,
        custom=not resource.resource_type.startswith("hybridstack:"),
    )


def _environment(args: StackValidationArgs) -> str:
    configured = args.get_config().get("env")
    if configured:
        return str(configured)
    try:
        return environment()  # the stack's hybridstack:env, else what its name says
    except Exception:  # the engine did not say which stack: not production
        return "dev"


def _validator(rule: str) -> Any:
    check = RULES[rule][1]

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if rule in PROD_ONLY_RULES and not is_production(_environment(args)):
            args.not_applicable("production stacks only")
        subjects = [subject_from_policy_resource(r) for r in args.resources]
        urns = {(s.type, s.name): s.key for s in subjects}
        try:
            if rule == "api-route-authorized":
                public = [str(r) for r in args.get_config().get("publicRoutes", [])]
                violations = check_routes_authorized(subjects, public)
            else:
                violations = check(subjects)
        except UnknownDuringPreviewError as exc:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [exc.prop]) from exc
        for violation in violations:
            report_violation(str(violation), urns.get((violation.type, violation.resource)))

    return validate


def _schema(rule: str) -> PolicyConfigSchema | None:
    if rule == "api-route-authorized":
        return PolicyConfigSchema(
            properties={"publicRoutes": {"type": "array", "items": {"type": "string"}}}
        )
    if rule in PROD_ONLY_RULES:
        return PolicyConfigSchema(properties={"env": {"type": "string"}})
    return None


def build_policies() -> list[StackValidationPolicy]:
    """One mandatory stack validation per rule of :data:`hybridstack.policy.RULES`."""
    return [
        StackValidationPolicy(
            name=rule,
            description=description,
            validate=_validator(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=_schema(rule),
        )
        for rule, (description, _check) in RULES.items()
    ]


def serve() -> None:
    """Start the pack (the engine calls this through ``policypack/__main__.py``)."""
    PolicyPack(
        name=PACK_NAME,
        policies=list(build_policies()),
        enforcement_level=EnforcementLevel.MANDATORY,
        description="hybridstack: safe defaults for hybrid AWS + Firebase stacks",
    )
