"""Pinned upstream images of LocalStack-compatible AWS emulators, for machines with a registry.

The containers backend builds its own images by default (``image_source="local"``), because no
registry can be reached on the machines hybridstack is developed on. Users who can pull may run
the AWS half from a published image instead (``image_source="upstream"``) and pick which:

======================  ===================================  ===================================
``aws_emulator``        image (pinned)                       notes
======================  ===================================  ===================================
``ministack``           ``ministackorg/ministack:1.5.33``    same version as the local lock file
``floci``               ``floci/floci:1.5.11``               LocalStack Community drop-in
``localstack``          ``localstack/localstack:2026.06.0``  needs ``LOCALSTACK_AUTH_TOKEN``
======================  ===================================  ===================================

Since 2026.03 (March 2026) every LocalStack image needs an auth token; without
``LOCALSTACK_AUTH_TOKEN`` the container refuses to start, so we refuse first, with a clear error.
All three listen on port 4566 and speak the same wire protocol, so the AWS clients, the
environment (``AWS_ENDPOINT_URL``) and the tests are the same. Readiness is checked with
LocalStack's ``/_localstack/health``, which Floci also serves, or MiniStack's own endpoint;
state is wiped through MiniStack's ``/_ministack/reset`` or LocalStack's state API
(``/_localstack/state/reset``; Floci has none, so its ``reset()`` says so). None of this can be
pulled and run where hybridstack is developed: selection and validation are unit-tested, the
images themselves are not.
Tags, not digests: a digest can only be read from the registry, which these machines can't reach;
set ``HYBRIDSTACK_<EMULATOR>_IMAGE`` to pin a digest or try another version, e.g.
``HYBRIDSTACK_LOCALSTACK_IMAGE=localstack/localstack@sha256:...``.

Example:
    image = upstream_aws_image("localstack", environ={"LOCALSTACK_AUTH_TOKEN": "ls-..."})
    image.reference          # "localstack/localstack:2026.06.0"
    image.environment        # {"LOCALSTACK_AUTH_TOKEN": "ls-..."}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from hybridstack.emulators.runtime.aws_compatible import CompatibleAws

AwsEmulator = Literal["ministack", "floci", "localstack"]
ImageSource = Literal["local", "upstream"]

IMAGE_SOURCES: tuple[ImageSource, ...] = ("local", "upstream")
LOCALSTACK_TOKEN_VARIABLE = "LOCALSTACK_AUTH_TOKEN"


@dataclass(frozen=True)
class UpstreamImage:
    """A published image of an AWS emulator: what to run and how to know it is ready."""

    emulator: AwsEmulator
    reference: str
    health_path: str
    reset_path: str | None = None
    """Wipes the emulator's state without a restart (``None``: no known way)."""
    port: int = 4566
    environment: dict[str, str] = field(default_factory=dict)
    required_variables: tuple[str, ...] = ()

    def aws_emulator(self) -> CompatibleAws:
        """How the health and reset of the local cloud check and wipe it."""
        return CompatibleAws(
            health_paths=(self.health_path,),
            reset_paths=(self.reset_path,) if self.reset_path else (),
            label=f"upstream {self.emulator} image",
        )


PINNED: dict[AwsEmulator, UpstreamImage] = {
    "ministack": UpstreamImage("ministack", "ministackorg/ministack:1.5.33", "/_ministack/health"),
    "floci": UpstreamImage("floci", "floci/floci:1.5.11", "/_localstack/health"),
    "localstack": UpstreamImage(
        "localstack",
        "localstack/localstack:2026.06.0",
        "/_localstack/health",
        required_variables=(LOCALSTACK_TOKEN_VARIABLE,),
    ),
}


def check_image_source(source: str) -> ImageSource:
    """Return ``source`` if it is a known image source; raise ``ValueError`` naming the choices."""
    if source not in IMAGE_SOURCES:
        raise ValueError(f"image_source={source!r} is not one of {', '.join(IMAGE_SOURCES)}")
    return source


def upstream_aws_image(
    emulator: str = "ministack", environ: Mapping[str, str] | None = None
) -> UpstreamImage:
    """The pinned image of ``emulator``, with the variables it needs taken from ``environ``.

    Raises ``ValueError`` for an unknown emulator or a missing required variable (LocalStack's
    auth token), naming what is wrong and how to fix it.
    """
    env = os.environ if environ is None else environ
    if emulator not in PINNED:
        raise ValueError(
            f"aws_emulator={emulator!r} has no pinned upstream image; choose one of "
            f"{', '.join(PINNED)}"
        )
    pinned = PINNED[emulator]
    override = env.get(f"HYBRIDSTACK_{emulator.upper()}_IMAGE")
    missing = [name for name in pinned.required_variables if not env.get(name)]
    if missing:
        raise ValueError(
            f"the {emulator} image {pinned.reference} needs {', '.join(missing)} (LocalStack "
            f"requires an auth token since 2026.03): export {missing[0]}=<your token>, or use "
            "aws_emulator='ministack' or 'floci', which need none"
        )
    return UpstreamImage(
        emulator=pinned.emulator,
        reference=override or pinned.reference,
        health_path=pinned.health_path,
        reset_path=pinned.reset_path,
        port=pinned.port,
        environment={name: env[name] for name in pinned.required_variables},
        required_variables=pinned.required_variables,
    )
