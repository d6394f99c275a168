"""PythonLayer: the services' third-party dependencies as a Lambda layer, built from a lock file.

The service code ships in each Function's own small archive; everything it imports from PyPI
(Powertools, firebase-admin, Pillow, ...) ships once in a layer, built exactly as Lambda loads it:
``python/<packages>`` for the target CPU architecture, Python version and glibc (manylinux) level.

The lock file is ``services/requirements.lock`` (hashes included), compiled from the ``services``
extra of ``pyproject.toml`` with the project's ``uv.lock`` as constraints so both agree::

    .venv/bin/python -m hybridstack.components.python_layer lock

Builds are keyed by a hash of (lock file, architecture, Python version, manylinux level) and
cached under ``$HYBRIDSTACK_CACHE_DIR`` (default ``~/.cache/hybridstack``) as ``layers/<key>/``:
``python/`` plus ``layer.zip``. A second build with the same inputs only reads the cache.

Platforms: Lambda's python3.11 runtime runs on Amazon Linux 2 (glibc 2.26 -> ``manylinux2014``);
python3.12+ run on Amazon Linux 2023 (``manylinux_2_28`` wheels work). The local cloud
(MiniStack) runs Lambdas on the host's interpreter: build for ``x86_64``, the host's Python and
``manylinux_2_28``.

Example:
    deps = PythonLayer("deps", {"architecture": "arm64", "python_version": "3.12"})
    Function("api", {"handler": "hybridstack.services.api.handler.handle", "layer": deps})

    # local cloud (MiniStack runs Lambdas on this host's interpreter):
    host = host_layer_args()
    local_deps = PythonLayer("deps", host)
    Function("api", {"handler": "hybridstack.services.api.handler.handle", "layer": local_deps,
                     "architecture": host.architecture,
                     "runtime": f"python{host.python_version}"})
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, one_of, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.locations import tools_dir

ARCHITECTURES: tuple[str, ...] = ("arm64", "x86_64")
PYTHON_VERSIONS: tuple[str, ...] = ("3.11", "3.12", "3.13")
DEFAULT_ARCHITECTURE = "arm64"
"""Graviton: cheaper per GB-second than x86_64 on Lambda."""
DEFAULT_PYTHON_VERSION = "3.12"
"""The Lambda Python runtime layers and Functions target unless told."""
BUILDER_VERSION = "1"
"""Bumped when the build recipe changes, so cached layers are rebuilt."""

DEFAULT_LOCK_FILE = (
    Path(str(importlib.resources.files("hybridstack.services"))) / "requirements.lock"
)
"""The services' pinned requirements, shipped with the ``hybridstack.services`` package."""


class LayerBuildError(RuntimeError):
    """Building the dependency layer failed; the message carries the installer's output."""


def default_manylinux(python_version: str) -> str:
    """The glibc level of Lambda's runtime for ``python_version`` (AL2 for 3.11, AL2023 after)."""
    return "manylinux2014" if python_version == "3.11" else "manylinux_2_28"


def python_platform(architecture: str, manylinux: str) -> str:
    """uv's ``--python-platform`` for a Lambda architecture: ``arm64`` -> ``aarch64-...``."""
    cpu = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    return f"{cpu}-{manylinux}"


def layer_cache_key(lock_text: str, architecture: str, python_version: str, manylinux: str) -> str:
    """The content hash naming a build: same lock and target -> same cached layer."""
    digest = hashlib.sha256()
    for part in (BUILDER_VERSION, architecture, python_version, manylinux, lock_text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def cache_root() -> Path:
    """Where built layers are kept: ``$HYBRIDSTACK_CACHE_DIR`` or ``~/.cache/hybridstack``."""
    configured = os.environ.get("HYBRIDSTACK_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "hybridstack"


def find_uv() -> str:
    """The uv executable: ``$UV``, the tools folder's ``uv/bin/uv``, or ``uv`` on PATH."""
    installed = tools_dir() / "uv" / "bin" / "uv"
    candidates = [os.environ.get("UV"), str(installed), shutil.which("uv")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise LayerBuildError(
        "uv is needed to build the dependency layer: run scripts/setup, set $UV, or pass a "
        "prebuilt layer (PythonLayer archive=... or Function layer=<ARN>)"
    )


def _zip_dir(source: Path, target: Path) -> None:
    """Zip ``source``'s contents (``python/...``) deterministically into ``target``."""
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(str(path.relative_to(source)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(target)


def build_layer(
    lock_file: Path,
    *,
    architecture: str = DEFAULT_ARCHITECTURE,
    python_version: str = DEFAULT_PYTHON_VERSION,
    manylinux: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Build (or reuse) the layer for ``lock_file`` and return the path of its ``layer.zip``.

    Installs with ``uv pip install --require-hashes --target python/ --python-platform ...
    --only-binary :all:`` so only wheels for the Lambda platform are used (no local compiler
    output can leak in). The directory is renamed into place only when complete.
    """
    if not lock_file.is_file():
        raise LayerBuildError(
            f"lock file {lock_file} does not exist; generate it with "
            "`.venv/bin/python -m hybridstack.components.python_layer lock`"
        )
    level = manylinux or default_manylinux(python_version)
    key = layer_cache_key(lock_file.read_text(), architecture, python_version, level)
    target = (cache_dir or cache_root()) / "layers" / key
    zip_path = target / "layer.zip"
    if zip_path.is_file():
        return zip_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=target.parent))
    try:
        command = [
            find_uv(), "pip", "install", "--quiet",
            "--requirement", str(lock_file), "--require-hashes",
            "--target", str(staging / "python"),
            "--python-platform", python_platform(architecture, level),
            "--python-version", python_version,
            "--only-binary", ":all:", "--no-compile",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise LayerBuildError(
                f"building the {architecture}/python{python_version}/{level} layer from "
                f"{lock_file} failed:\n{result.stderr.strip() or result.stdout.strip()}"
            )
        _zip_dir(staging, staging / "layer.zip")
        if target.exists():  # a concurrent build finished first
            shutil.rmtree(staging)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return zip_path


def compile_lock(
    pyproject: Path = Path("pyproject.toml"),
    *,
    extra: str = "services",
    output: Path = DEFAULT_LOCK_FILE,
) -> Path:
    """Write ``output`` from the ``extra`` of ``pyproject`` pinned to the project's ``uv.lock``.

    Only the extra's requirements (not the whole project: no Pulumi in a Lambda) are resolved,
    universally (every platform's markers) and with hashes.
    """
    uv = find_uv()
    requirements = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"][extra]
    with tempfile.TemporaryDirectory() as tmp:
        req_in = Path(tmp) / "requirements.in"
        req_in.write_text("\n".join(requirements) + "\n")
        constraints = Path(tmp) / "constraints.txt"
        exported = subprocess.run(
            [uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-dev",
             "--no-header", "--extra", extra, "--project", str(pyproject.parent)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        constraints.write_text(exported.stdout)
        subprocess.run(
            [uv, "pip", "compile", str(req_in), "--constraint", str(constraints), "--universal",
             "--python-version", "3.11", "--generate-hashes", "--no-header", "--no-annotate",
             "--quiet",
             "--output-file", str(output)],
            check=True,
        )  # fmt: skip
    return output


@dataclass(frozen=True, kw_only=True)
class PythonLayerArgs(ComponentArgs):
    """What to build the layer from and for which Lambda platform."""

    lock_file: str | Path = DEFAULT_LOCK_FILE
    """Path of the hashed requirements lock (default: the services' ``requirements.lock``)."""
    architecture: str = DEFAULT_ARCHITECTURE
    """``arm64`` (default, Graviton) or ``x86_64`` (the local cloud on this host)."""
    python_version: str = DEFAULT_PYTHON_VERSION
    """``3.11``, ``3.12`` (default) or ``3.13``; must match the Functions' runtime."""
    manylinux: str | None = None
    """The wheel glibc level (default: the Lambda runtime's, see ``default_manylinux``)."""
    archive: pulumi.Input[pulumi.Archive] | None = None
    """A prebuilt layer archive: skips the build entirely (tests, CI artefacts)."""
    cache_dir: str | None = None
    """Where builds are cached (default ``$HYBRIDSTACK_CACHE_DIR`` or ``~/.cache/hybridstack``)."""
    description: str = "hybridstack service dependencies"
    """The layer version's description."""

    def __post_init__(self) -> None:
        one_of("architecture", self.architecture, ARCHITECTURES)
        one_of("python_version", self.python_version, PYTHON_VERSIONS)
        if self.archive is None and not Path(self.lock_file).is_file():
            refuse(f"lock_file {str(self.lock_file)!r} does not exist")


class PythonLayerTransforms(TypedDict, total=False):
    """Reshape a child of the PythonLayer before it is created (see ``HybridComponent``)."""

    layer: Transform
    """``aws.lambda_.LayerVersion``: the layer version."""


class PythonLayer(HybridComponent):
    """A Lambda layer holding the services' third-party dependencies, built from a lock file.

    Example:
        deps = PythonLayer("deps")
        api = Function("api", {"handler": "hybridstack.services.api.handler.handle",
                               "layer": deps})
    """

    TYPE = "hybridstack:aws:PythonLayer"
    TRANSFORMS = PythonLayerTransforms

    arn: pulumi.Output[str]
    """The layer version ARN (what Functions list in ``layers``)."""

    def __init__(
        self,
        name: str,
        args: PythonLayerArgs | Mapping[str, Any] | None = None,
        *,
        transform: PythonLayerTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = PythonLayerArgs.parse(args, owner=f"PythonLayer {name!r}")
        self.architecture: str = settings.architecture
        self.python_version: str = settings.python_version
        archive = self._build_archive(settings)
        super().__init__(name, transform=transform, opts=opts)
        layer = self._create_layer(settings, archive)
        self.arn = layer.arn
        self.register_outputs({"arn": self.arn})

    def _build_archive(self, settings: PythonLayerArgs) -> pulumi.Input[pulumi.Archive]:
        """The prebuilt archive, or the cached build of the lock file for this platform."""
        self.archive_path: Path | None = None
        if settings.archive is not None:
            return settings.archive
        self.archive_path = build_layer(
            Path(settings.lock_file),
            architecture=settings.architecture,
            python_version=settings.python_version,
            manylinux=settings.manylinux,
            cache_dir=Path(settings.cache_dir) if settings.cache_dir else None,
        )
        return pulumi.FileArchive(str(self.archive_path))

    def _create_layer(
        self, settings: PythonLayerArgs, archive: pulumi.Input[pulumi.Archive]
    ) -> aws.lambda_.LayerVersion:
        return self.child(
            "layer",
            aws.lambda_.LayerVersion,
            self.component_name,
            {
                "layer_name": self.component_name,
                "code": archive,
                "compatible_architectures": [settings.architecture],
                "compatible_runtimes": [f"python{settings.python_version}"],
                "description": settings.description,
            },
        )


def host_layer_args() -> PythonLayerArgs:
    """Args building the layer for THIS machine's interpreter: what MiniStack runs Lambdas on.

    Example:
        deps = PythonLayer("deps", host_layer_args())    # local stack
    """
    import platform

    machine = platform.machine().lower()
    architecture = "arm64" if machine in {"aarch64", "arm64"} else "x86_64"
    libc, version = platform.libc_ver()
    parts = [int(p) for p in version.split(".")[:2] if p.isdigit()] if libc == "glibc" else []
    manylinux = "manylinux_2_28" if parts and tuple(parts) >= (2, 28) else "manylinux2014"
    return PythonLayerArgs(
        architecture=architecture,
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        manylinux=manylinux,
    )


_SHARED: dict[tuple[str, str, str], tuple[object, PythonLayer]] = {}


def shared_layer(
    architecture: str = DEFAULT_ARCHITECTURE,
    python_version: str = DEFAULT_PYTHON_VERSION,
    manylinux: str | None = None,
) -> PythonLayer:
    """The program's one default dependency layer for a platform, created on first use.

    Functions left at ``layer=True`` share it, so the stack uploads the dependencies once per
    (architecture, Python) instead of once per function.
    """
    from pulumi.runtime.settings import get_monitor

    monitor = get_monitor()
    key = (architecture, python_version, manylinux or "")
    cached = _SHARED.get(key)
    if cached is not None and cached[0] is monitor:
        return cached[1]
    args = PythonLayerArgs(
        architecture=architecture, python_version=python_version, manylinux=manylinux or None
    )
    layer = PythonLayer(
        f"hybridstack-deps-{architecture}-py{python_version.replace('.', '')}", args
    )
    _SHARED[key] = (monitor, layer)
    return layer


def _main(argv: list[str]) -> int:
    """``python -m hybridstack.components.python_layer lock|build [arch] [python]``."""
    if argv[:1] == ["lock"]:
        print(compile_lock())
        return 0
    if argv[:1] == ["build"]:
        arch = argv[1] if len(argv) > 1 else DEFAULT_ARCHITECTURE
        version = argv[2] if len(argv) > 2 else DEFAULT_PYTHON_VERSION
        manylinux = argv[3] if len(argv) > 3 else None
        print(build_layer(DEFAULT_LOCK_FILE, architecture=arch, python_version=version,
                          manylinux=manylinux))  # fmt: skip
        return 0
    print(__doc__)
    print(
        "usage: python -m hybridstack.components.python_layer lock | build [arch] [py] [manylinux]"
    )
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
