"""Resources the last deploy made that the program no longer declares: deleted, as ``pulumi up``
deletes them (dependents first), or left in place with the reason.

Each type's deleter is registered with its handler (:func:`~hybridstack.emulators.deploy.registry.
handles`, ``delete=``), in the provider module that creates it. A bucket is deleted only when
empty (local data is never thrown away by a redeploy); an Aurora cluster the program no longer
declares is deleted with its database, as ``pulumi up`` deletes it (RDS refuses a
deletion-protected one, which is then left with that reason). A type registered with nothing to
delete (a setting that vanishes with its parent) is dropped from the record.

Example:
    deleted, left = remove_undeclared(ctx, {urn: record, ...})
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext
from hybridstack.emulators.deploy.registry import (
    Deletion,
    KeptError,
    Record,
    load_deletions,
)

UNREGISTERED_ORDER = 9
"""Where a recorded type no handler registers any more is sequenced (last)."""


def type_of(urn: str) -> str:
    """``urn:pulumi:s::p::parent$aws:s3/bucket:Bucket::media`` -> ``aws:s3/bucket:Bucket``."""
    return urn.rsplit("::", 2)[-2].split("$")[-1]


def _missing(error: Exception) -> bool:
    """Whether ``error`` says the resource is already gone (deleted with its parent, ...)."""
    text = f"{type(error).__name__} {error}"
    return any(word in text for word in ("NotFound", "NoSuch", "does not exist"))


def remove_undeclared(
    ctx: DeployContext, records: dict[str, Record]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Delete what ``records`` (URN -> record) describe; returns (deleted URNs, [(URN, why
    it was left)])."""
    deletions = load_deletions()

    def deletion(urn: str) -> Deletion | None:
        return deletions.get(type_of(urn))

    def order(urn: str) -> tuple[int, str]:
        found = deletion(urn)
        return (UNREGISTERED_ORDER if found is None else found.order, urn)

    deleted: list[str] = []
    left: list[tuple[str, str]] = []
    for urn in sorted(records, key=order):
        record = records[urn]
        found = deletion(urn)
        if record.get("status") == "not-emulated" or (found and found.deleter is None):
            deleted.append(urn)  # nothing of its own was made
            continue
        if found is None or found.deleter is None:
            left.append((urn, f"no deploy handler registers {type_of(urn)} any more"))
            continue
        try:
            found.deleter(ctx, record)
        except KeptError as kept:
            left.append((urn, str(kept)))
        except Exception as error:
            if _missing(error):
                deleted.append(urn)
            else:
                left.append((urn, f"delete failed: {error}"))
        else:
            deleted.append(urn)
    return deleted, left
