"""Firestore security rules: a Ruleset and its Release are loaded into the Firestore emulator.

The emulator enforces the rules on every request that is not an admin one, so client-side
reads and writes in the system tests meet the same rules as in the cloud.

Example:
    gcp.firebaserules.Ruleset("rules", source={"files": [{"name": "firestore.rules", ...}]})
    gcp.firebaserules.Release("rules", name="cloud.firestore", ruleset_name=ruleset.name)
        -> PUT http://<firestore>/emulator/v1/projects/<p>:securityRules
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, HandlerError, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Resource,
    after,
    handles,
    nothing_to_delete,
)

RULESET = "gcp:firebaserules/ruleset:Ruleset"
RELEASE = "gcp:firebaserules/release:Release"


@handles(
    RULESET,
    delete=nothing_to_delete(
        "a ruleset is source text the engine keeps; only a release loads it into the emulator"
    ),
)
def ruleset(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    project = str(inputs.get("project") or ctx.project_id)
    source = inputs.get("source") or {}
    digest = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:16]
    return Created(
        id=f"projects/{project}/rulesets/{digest}", outputs={"name": digest, "project": project}
    )


@after(RULESET)
def _remember(ctx: DeployContext, resource: Resource, outputs: dict[str, Any]) -> None:
    source = resource.inputs.get("source") or {}
    project = str(outputs.get("project") or ctx.project_id)
    with ctx.lock:  # releases name it by id or by full name
        ctx.rulesets[str(outputs["name"])] = source
        ctx.rulesets[f"projects/{project}/rulesets/{outputs['name']}"] = source


def load_rules(ctx: DeployContext, project: str, files: list[dict[str, Any]]) -> None:
    """Replace the Firestore emulator's rules for ``project`` (raises on refusal)."""
    body = {
        "rules": {
            "files": [
                {"name": str(f.get("name") or "firestore.rules"), "content": str(f["content"])}
                for f in files
            ]
        }
    }
    url = f"{ctx.google('firestore')}/emulator/v1/projects/{project}:securityRules"
    response = ctx.http.put(url, json=body, timeout=30)
    if response.status_code >= 400:
        raise HandlerError(f"the Firestore emulator refused the rules: {response.text}")


@handles(
    RELEASE,
    delete=nothing_to_delete(
        "the Firestore emulator serves the rules last released until another release loads new ones"
    ),
)
def release(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    project = str(inputs.get("project") or ctx.project_id)
    name = str(inputs["name"])
    release_id = f"projects/{project}/releases/{name}"
    if not name.startswith("cloud.firestore"):
        return Created(
            id=release_id,
            not_emulated=f"rules release {name!r}: only Firestore rules have an emulator here",
        )
    ruleset_name = str(inputs["rulesetName"])
    with ctx.lock:
        source = ctx.rulesets.get(ruleset_name)
    if source is None:
        raise fail(resource, "loading rules", HandlerError(f"unknown ruleset {ruleset_name}"))
    try:
        load_rules(ctx, project, list(source.get("files") or []))
    except Exception as error:
        raise fail(resource, "loading the rules into the Firestore emulator", error) from error
    return Created(id=release_id, outputs={"name": name})
