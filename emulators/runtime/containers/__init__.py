"""The testcontainers backend of the local cloud: the same emulators, each in a container.

Example:
    from hybridstack.emulators.runtime.containers import ContainerCloud

    with ContainerCloud() as cloud:
        os.environ.update(cloud.endpoints.environment())
"""

from hybridstack.emulators.runtime.containers.cloud import (
    ContainerCloud,
    DockerUnavailableError,
    EmulatorStartError,
    docker_unavailable_reason,
)

__all__ = [
    "ContainerCloud",
    "DockerUnavailableError",
    "EmulatorStartError",
    "docker_unavailable_reason",
]
