"""The Debian base every local-cloud image is built ``FROM``, made locally when none can be pulled.

Where a registry answers, the pinned ``debian:bookworm-slim`` is pulled. Where none does (these
machines), a minimal Debian bookworm root file system is made with ``debootstrap --variant=minbase``
from the Debian mirror apt already uses, and imported with ``docker import``. Either way the result
is tagged :data:`BASE_IMAGE` once and reused: later calls return at once.

Example:
    import docker
    tag = ensure_base_image(docker.from_env())  # "hybridstack/debian:bookworm-minbase"
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
from docker import DockerClient

logger = logging.getLogger(__name__)

BASE_IMAGE = "hybridstack/debian:bookworm-minbase"
"""Tag of the local base image (what the Dockerfiles' ``BASE_IMAGE`` build argument names)."""
UPSTREAM_BASE = "debian:bookworm-slim"
"""Pulled and re-tagged as :data:`BASE_IMAGE` where a registry can be reached."""
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
MIRROR_VARIABLE = "HYBRIDSTACK_DEBIAN_MIRROR"


class BaseImageError(RuntimeError):
    """The base image could neither be pulled nor made with debootstrap."""


def debian_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror to bootstrap from: ``$HYBRIDSTACK_DEBIAN_MIRROR``, else apt's own, else
    deb.debian.org."""
    if os.environ.get(MIRROR_VARIABLE):
        return os.environ[MIRROR_VARIABLE].rstrip("/")
    candidates = [*sorted(sources_dir.glob("sources.list.d/*.sources"))]
    candidates += [sources_dir / "sources.list", *sorted(sources_dir.glob("sources.list.d/*.list"))]
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^]]*\]\s+)?)(\S+)", text, re.M):
            uri = match.group(1).rstrip("/")
            if uri.endswith("/debian") and uri.startswith(("http://", "https://")):
                return uri
    return DEFAULT_MIRROR


def image_exists(client: DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_base_image(client: DockerClient, progress: Callable[[str], None] | None = None) -> str:
    """Return :data:`BASE_IMAGE`, pulling or bootstrapping it first if it does not exist yet."""
    say = progress or logger.info
    if image_exists(client, BASE_IMAGE):
        return BASE_IMAGE
    try:
        say(f"pulling {UPSTREAM_BASE}")
        image = client.images.pull(UPSTREAM_BASE)
        image.tag(BASE_IMAGE)
        return BASE_IMAGE
    except docker.errors.APIError as error:
        say(f"cannot pull {UPSTREAM_BASE} ({error.explanation}); bootstrapping Debian instead")
    bootstrap_base_image(client, say)
    return BASE_IMAGE


def bootstrap_base_image(client: DockerClient, say: Callable[[str], None]) -> None:
    """debootstrap a minimal Debian into a temporary directory and ``docker import`` it."""
    debootstrap = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin")
    if not debootstrap:
        raise BaseImageError(
            f"no registry answers for {UPSTREAM_BASE} and debootstrap is missing; install it "
            "with: apt-get install -y debootstrap (scripts/setup does this as root)"
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            f"no registry answers for {UPSTREAM_BASE} and debootstrap must run as root to make "
            f"the base image {BASE_IMAGE}; run the first build as root"
        )
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="hybridstack-rootfs-") as work:
        rootfs = Path(work) / "rootfs"
        say(f"debootstrap --variant=minbase {SUITE} from {mirror}")
        result = subprocess.run(
            [debootstrap, "--variant=minbase", SUITE, str(rootfs), mirror],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise BaseImageError(f"debootstrap {SUITE} from {mirror} failed:\n{tail}")
        # What apt downloaded to install the base is not part of the image.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / leftover).glob("*"):
                if item.is_file():
                    item.unlink()
        tarball = Path(work) / "rootfs.tar"
        subprocess.run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "--exclude=./proc/*",
             "--exclude=./sys/*", "-cf", str(tarball), "."],
            check=True,
        )  # fmt: skip
        say(f"docker import {BASE_IMAGE}")
        repository, tag = BASE_IMAGE.rsplit(":", 1)
        client.api.import_image(
            src=str(tarball),
            repository=repository,
            tag=tag,
            changes=['CMD ["/bin/bash"]', "ENV LANG=C.UTF-8"],
        )
    if not image_exists(client, BASE_IMAGE):
        raise BaseImageError(f"docker import did not create {BASE_IMAGE}")
