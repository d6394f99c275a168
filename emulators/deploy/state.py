"""What the last deploy created in a running local cloud: one record per declared resource.

The engine keeps it in a small JSON file (``<state dir>/deploy-<stack>.json``) keyed by URN,
with a hash of the inputs, the physical id and the outputs. A redeploy
leaves a resource whose inputs hash the same alone and hands the program the recorded outputs;
a changed one is updated in place. The file names the cloud it belongs to (the AWS endpoint);
if that cloud was reset or restarted, the anchors (functions, buckets, APIs, topics) are gone
and the engine starts from an empty record. ``program`` holds what the last complete deploy's
program depended on and produced (:mod:`~hybridstack.emulators.deploy.program_inputs`), or None.

Example:
    state = DeployState.load(path, cloud="http://127.0.0.1:4566")
    state.get(urn)  # {"hash": ..., "id": ..., "outputs": {...}}
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

FORMAT = 1


class DeployState:
    """Records of one stack's resources in one cloud (thread-safe; saved atomically)."""

    def __init__(
        self,
        path: Path | None,
        cloud: str,
        records: dict[str, dict[str, Any]],
        program: dict[str, Any] | None = None,
    ):
        self.path = path
        self.cloud = cloud
        self.records = records
        self.program = program
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | None, *, cloud: str) -> DeployState:
        """The file's records if they belong to ``cloud``; an empty state otherwise."""
        if path is None or not path.is_file():
            return cls(path, cloud, {})
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path, cloud, {})
        if document.get("format") != FORMAT or document.get("cloud") != cloud:
            return cls(path, cloud, {})
        return cls(path, cloud, dict(document.get("resources", {})), document.get("program"))

    def get(self, urn: str) -> dict[str, Any] | None:
        with self._lock:
            return self.records.get(urn)

    def put(self, urn: str, record: dict[str, Any]) -> None:
        with self._lock:
            self.records[urn] = record

    def of_type(self, type_token: str) -> list[dict[str, Any]]:
        """Records of one type (a URN ends with ``$<type>::<name>`` or ``::<type>::<name>``)."""
        with self._lock:
            return [
                r
                for urn, r in self.records.items()
                if urn.rsplit("::", 2)[-2].split("$")[-1] == type_token
            ]

    def forget(self) -> None:
        with self._lock:
            self.records = {}
            self.program = None

    def save(self, keep: set[str] | None = None) -> None:
        """Write the records (only ``keep`` keys, when given) next to the old file, then swap."""
        if self.path is None:
            return
        with self._lock:
            records = {k: v for k, v in self.records.items() if keep is None or k in keep}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "cloud": self.cloud,
                    "resources": records,
                    "program": self.program,
                },
                indent=1,
                sort_keys=True,
                default=str,
            )
        )
        tmp.replace(self.path)
