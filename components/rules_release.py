"""Putting Firebase security rules in force: a Ruleset holding one rules file, and its Release.

Firestore and Cloud Storage rules are deployed the same way: the rules source goes into a
``gcp.firebaserules.Ruleset``, and a ``gcp.firebaserules.Release`` named after what the rules
guard (``cloud.firestore`` for the default database, ``firebase.storage/<bucket>``) points at it.
RealtimeStore and FirebaseUploads both create the pair through :func:`release_rules`.

Example:
    release_rules(self, ("ruleset", "release"), f"{name}-rules", project=project,
                  file_name="firestore.rules", content=source, release_name="cloud.firestore")
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.component import HybridComponent


def release_rules(
    owner: HybridComponent,
    roles: tuple[str, str],
    name: str,
    *,
    project: pulumi.Input[str],
    file_name: str,
    content: str,
    release_name: pulumi.Input[str],
    ruleset_opts: pulumi.ResourceOptions | None = None,
    release_opts: pulumi.ResourceOptions | None = None,
) -> gcp.firebaserules.Release:
    """The owner's Ruleset of ``file_name`` (``roles[0]``) and the Release using it (``roles[1]``),
    both named ``name``."""
    ruleset_role, release_role = roles
    ruleset = owner.child(
        ruleset_role,
        gcp.firebaserules.Ruleset,
        name,
        {"project": project, "source": {"files": [{"name": file_name, "content": content}]}},
        opts=ruleset_opts,
    )
    return owner.child(
        release_role,
        gcp.firebaserules.Release,
        name,
        {
            "project": project,
            "name": release_name,
            "ruleset_name": pulumi.Output.concat(
                "projects/", pulumi.Output.from_input(project), "/rulesets/", ruleset.name
            ),
        },
        opts=release_opts,
    )
