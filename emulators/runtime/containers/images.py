"""The two local-cloud images, built from this package's Dockerfiles through testcontainers.

``Dockerfile.aws`` (MiniStack) and ``Dockerfile.firebase`` (Auth, Firestore, Pub/Sub, Storage) are
built ``FROM`` the local Debian base (:mod:`.base_image`). Their build contexts are assembled from
what the process backend pins and finds on this machine
(:mod:`hybridstack.emulators.runtime.tools`):
MiniStack's lock file, firebase-tools' package.json + lock and its start-up patch
(``lazy-validators.js``), the gcloud Firestore and Pub/Sub emulator JARs, fake-gcs-server's binary,
Node.js, and the host's CA bundle (HTTPS inside builds verifies only with it).

Each image is tagged with a digest of its inputs (``hybridstack/local-aws:<digest>``), so a build
happens once per change of a pin, and every later start finds the image and skips the build.

Example:
    import docker
    client = docker.from_env()
    aws_tag = ensure_image(client, aws_image_spec())
    firebase_tag = ensure_image(client, firebase_image_spec())

Or prebuild from a shell: ``python -m hybridstack.emulators.runtime.containers.images``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
from docker import DockerClient
from testcontainers.core.image import DockerImage

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.containers.base_image import ensure_base_image, image_exists

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
EMULATORS = HERE.parent
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_TIMEOUT_SECONDS = 1800
_SMALL_FILE = 1 << 20  # files below this size enter the digest with their content


class ImageBuildError(RuntimeError):
    """An image could not be built; the message names the missing input or the failing step."""


@dataclass(frozen=True)
class ImageSpec:
    """What goes into one image: its Dockerfile and the files of its build context."""

    name: str
    dockerfile: Path
    files: dict[str, Path] = field(default_factory=dict)
    """Name in the build context -> file or directory on this machine."""

    @property
    def repository(self) -> str:
        return f"hybridstack/local-{self.name}"

    def digest(self, base_image: str) -> str:
        """A digest of every input; big binaries enter by name and size (hashing them each
        start would cost more than the check is worth)."""
        sha = hashlib.sha256(base_image.encode())
        sha.update(self.dockerfile.read_bytes())
        for name in sorted(self.files):
            for path in _walk(self.files[name]):
                rel = f"{name}/{path.relative_to(self.files[name])}".rstrip("/.")
                size = path.stat().st_size
                sha.update(f"{rel}\0{size}\0".encode())
                if size < _SMALL_FILE:
                    sha.update(path.read_bytes())
        return sha.hexdigest()[:16]

    def tag(self, base_image: str) -> str:
        return f"{self.repository}:{self.digest(base_image)}"


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return [path]


def _require(path: Path | None, what: str, install: str) -> Path:
    if path is None or not path.exists():
        where = f" (looked for {path})" if path else ""
        raise ImageBuildError(f"{what} is missing{where}; install it with: {install}")
    return path


def node_runtime() -> tuple[Path, Path]:
    """This machine's Node.js 20+ binary and its npm package (firebase-tools needs Node 20+,
    newer than Debian bookworm ships, and no Node download site can be reached)."""
    node = tools.node().resolve()
    version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not version.startswith("v") or int(version[1:].split(".")[0]) < 20:
        raise tools.MissingToolError(
            "Node.js 20 or newer", tools.NODE_INSTALL, f"{node} is {version or 'unknown'}"
        )
    npm_cli = Path(shutil.which("npm") or "/nonexistent/npm").resolve()
    npm_package = npm_cli.parent.parent  # .../node_modules/npm/bin/npm-cli.js
    if not (npm_package / "package.json").exists():
        raise tools.MissingToolError("npm", tools.NODE_INSTALL, "no npm next to node")
    return node, npm_package


def _repository_file(path: Path) -> Path:
    return _require(path, f"{path.name} of the hybridstack checkout", f"git checkout -- {path}")


def _ca_bundle() -> Path:
    return _require(CA_BUNDLE, "the system CA bundle", "apt-get install -y ca-certificates")


def aws_image_spec() -> ImageSpec:
    """MiniStack pinned by the process backend's lock file
    (``emulators/runtime/aws/ministack.lock``)."""
    return ImageSpec(
        name="aws",
        dockerfile=HERE / "Dockerfile.aws",
        files={
            "ministack.lock": _repository_file(EMULATORS / "aws" / "ministack.lock"),
            "ca-certificates.crt": _ca_bundle(),
        },
    )


def firebase_image_spec() -> ImageSpec:
    """Auth (firebase-tools pinned by its package-lock), Firestore, Pub/Sub and Storage."""
    node, npm = node_runtime()
    firebase = EMULATORS / "firebase"
    return ImageSpec(
        name="firebase",
        dockerfile=HERE / "Dockerfile.firebase",
        files={
            "package.json": _repository_file(firebase / "package.json"),
            "package-lock.json": _repository_file(firebase / "package-lock.json"),
            "lazy-validators.js": _repository_file(firebase / "lazy-validators.js"),
            "firebase.json": HERE / "firebase.json",
            "cloud-firestore-emulator.jar": tools.firestore_emulator_jar(),
            "cloud-pubsub-emulator.jar": tools.pubsub_emulator_jar(),
            "fake-gcs-server": tools.fake_gcs_server(),
            "node": node,
            "npm": npm,
            "ca-certificates.crt": _ca_bundle(),
        },
    )


def postgres_image_spec() -> ImageSpec:
    """PostgreSQL 15 (Debian's) behind the official image's entrypoint contract: what MiniStack
    runs for each Aurora PostgreSQL cluster (:mod:`hybridstack.emulators.runtime.aurora`)."""
    return ImageSpec(
        name="postgres",
        dockerfile=HERE / "Dockerfile.postgres",
        files={"postgres-entrypoint.sh": _repository_file(HERE / "postgres-entrypoint.sh")},
    )


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _assemble_context(spec: ImageSpec, context: Path) -> None:
    shutil.copyfile(spec.dockerfile, context / "Dockerfile")
    for name, source in spec.files.items():
        if source.is_dir():
            shutil.copytree(source, context / name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(context / name))


def ensure_image(
    client: DockerClient, spec: ImageSpec, progress: Callable[[str], None] | None = None
) -> str:
    """Return the tag of ``spec``'s image, building it (and the base image) first if needed."""
    say = progress or logger.info
    base = ensure_base_image(client, say)
    tag = spec.tag(base)
    if image_exists(client, tag):
        return tag
    say(f"building {tag} (once per change of its pins)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"hybridstack-{spec.name}-context-") as work:
        context = Path(work)
        _assemble_context(spec, context)
        image = DockerImage(
            path=context,
            tag=tag,
            clean_up=False,
            buildargs={"BASE_IMAGE": base},
            forcerm=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            labels={"org.hybridstack.image": spec.name},
        )
        try:
            image.build()
        except docker.errors.BuildError as error:
            log = "".join(str(e.get("stream") or e.get("error") or "") for e in error.build_log)
            tail = "\n".join(log.strip().splitlines()[-20:])
            raise ImageBuildError(
                f"building {tag} from {spec.dockerfile.name} failed: {error.msg}\n{tail}"
            ) from error
    say(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


def main() -> None:
    """Build (or find) both images and print how long each took."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    client = docker.from_env()
    for make_spec in (aws_image_spec, firebase_image_spec):
        started = time.monotonic()
        tag = ensure_image(client, make_spec(), progress=lambda line: print(line, file=sys.stderr))
        print(f"{tag}: ready in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
