"""An emulator set somebody else runs (``--local-cloud=external``), found through the environment.

The variables are the ones :meth:`LocalCloudEndpoints.environment` exports (``AWS_ENDPOINT_URL``
or ``LOCALSTACK_HOST``, ``FIRESTORE_EMULATOR_HOST``, ...), so ``eval "$(hybridstack local env)"``
or a user's own LocalStack both work. Starting and stopping do nothing; :meth:`reset` wipes each
emulator through its own wipe endpoint or, for Pub/Sub and Storage, by deleting what the project
holds, so tests see an empty cloud as they do with the other backends.

Example:
    cloud = ExternalCloud.from_environment(os.environ)
    cloud.start()
    cloud.reset()   # {"aws": 0.02, "firestore": 0.01, ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

_TIMEOUT = 10.0

# Where LocalStack-compatible emulators take a "forget everything" request, tried in order.
AWS_RESET_PATHS = ("/_ministack/reset", "/_localstack/state/reset")


class ExternalCloudError(RuntimeError):
    """An external emulator could not be reached or wiped."""


class ExternalCloud:
    """The LocalCloud interface over emulators that are already running.

    Example:
        cloud = ExternalCloud(LocalCloudEndpoints(aws="http://127.0.0.1:4566"))
        cloud.reset()     # {"aws": 0.01}: the LocalStack/MiniStack there is empty again
    """

    def __init__(self, endpoints: LocalCloudEndpoints):
        self.endpoints = endpoints
        self.start_seconds: dict[str, float] = {}
        self._http = requests.Session()

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ExternalCloud:
        return cls(LocalCloudEndpoints.from_environment(env))

    def start(self, progress: Any = None) -> LocalCloudEndpoints:
        return self.endpoints

    def stop(self) -> None:
        self._http.close()

    def __enter__(self) -> ExternalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def running(self) -> list[str]:
        names = ("aws", "auth", "functions", "firestore", "pubsub", "storage")
        return [name for name in names if getattr(self.endpoints, name)]

    def reset(self) -> dict[str, float]:
        """Wipe the data of every emulator; returns the seconds each took."""
        wipes: dict[str, Callable[[], None]] = {
            "aws": self._wipe_aws,
            "auth": self._wipe_auth,
            "firestore": self._wipe_firestore,
            "pubsub": self._wipe_pubsub,
            "storage": self._wipe_storage,
        }
        seconds: dict[str, float] = {}
        for name, wipe in wipes.items():
            if getattr(self.endpoints, name):
                started = time.perf_counter()
                wipe()
                seconds[name] = time.perf_counter() - started
        return seconds

    def health(self) -> dict[str, bool]:
        result: dict[str, bool] = {}
        for name in self.running():
            address = str(getattr(self.endpoints, name))
            url = address if "://" in address else f"http://{address}"
            try:
                self._http.get(url, timeout=2)
                result[name] = True
            except requests.RequestException:
                result[name] = False
        return result

    # --- wipes -------------------------------------------------------------------------------

    def _request(self, method: str, url: str, what: str) -> requests.Response:
        try:
            return self._http.request(method, url, timeout=_TIMEOUT)
        except requests.RequestException as error:
            raise ExternalCloudError(f"{what} at {url} can't be reached: {error}") from error

    def _wipe_aws(self) -> None:
        base = str(self.endpoints.aws).rstrip("/")
        for path in AWS_RESET_PATHS:
            if self._request("POST", base + path, "the AWS emulator").ok:
                return
        raise ExternalCloudError(
            f"the AWS emulator at {base} offers no reset endpoint "
            f"(tried {', '.join(AWS_RESET_PATHS)})"
        )

    def _wipe_auth(self) -> None:
        url = f"http://{self.endpoints.auth}/emulator/v1/projects/{self.endpoints.project_id}/accounts"
        response = self._request("DELETE", url, "the Auth emulator")
        if not response.ok:
            raise ExternalCloudError(f"Auth emulator wipe failed: {response.text}")

    def _wipe_firestore(self) -> None:
        url = (
            f"http://{self.endpoints.firestore}/emulator/v1/projects/"
            f"{self.endpoints.project_id}/databases/(default)/documents"
        )
        response = self._request("DELETE", url, "the Firestore emulator")
        if not response.ok:
            raise ExternalCloudError(f"Firestore emulator wipe failed: {response.text}")

    def _wipe_pubsub(self) -> None:
        base = f"http://{self.endpoints.pubsub}/v1/projects/{self.endpoints.project_id}"
        for kind, key in (("subscriptions", "subscriptions"), ("topics", "topics")):
            listing = self._request("GET", f"{base}/{kind}", "the Pub/Sub emulator").json()
            for item in listing.get(key, []):
                name = item if isinstance(item, str) else item["name"]
                self._request("DELETE", f"http://{self.endpoints.pubsub}/v1/{name}", "Pub/Sub")

    def _wipe_storage(self) -> None:
        base = f"{str(self.endpoints.storage).rstrip('/')}/storage/v1/b"
        buckets = self._request("GET", f"{base}?project={self.endpoints.project_id}", "Storage")
        for bucket in buckets.json().get("items", []):
            name = quote(bucket["name"], safe="")
            page = ""
            while True:
                listing = self._request("GET", f"{base}/{name}/o?pageToken={page}", "Storage")
                for obj in listing.json().get("items", []):
                    object_name = quote(obj["name"], safe="")
                    self._request("DELETE", f"{base}/{name}/o/{object_name}", "Storage")
                page = listing.json().get("nextPageToken", "")
                if not page:
                    break
            self._request("DELETE", f"{base}/{name}", "Storage")
