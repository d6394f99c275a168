"""Service code figures: cold import time of each handler module (a fresh interpreter each
time, as a Lambda cold start imports it), deployment package and dependency layer sizes, and
image derivatives per second in one process (what one media-processor invocation can do).

Run:
    .venv/bin/python benchmarks/services_benchmark.py [--imports 5] [--images 10]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import zipfile

from PIL import Image

from hybridstack.components.packaging import package_files
from hybridstack.components.python_layer import DEFAULT_LOCK_FILE, build_layer
from hybridstack.services.media.images import derive_images

HANDLERS = {
    "identity api": "hybridstack.services.identity.api.handle",
    "media api": "hybridstack.services.media.api.handle",
    "media processor (SQS)": "hybridstack.services.media.events.handle",
    "storage sync (push)": "hybridstack.services.media.sync.handle",
    "messaging api": "hybridstack.services.messaging.api.handle",
    "analytics collector": "hybridstack.services.analytics.jobs.run",
    "platform api (health, /me)": "hybridstack.services.api.handler.handle",
}
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def cold_import_seconds(module: str, runs: int) -> list[float]:
    """Import ``module`` in a fresh interpreter ``runs`` times (no bytecode cache writes)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1"}
    times = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _IMPORT.format(module=module)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout  # fmt: skip
        times.append(float(output.strip().splitlines()[-1]))
    return times


def package_size(handler: str) -> tuple[int, int, int]:
    """(files, unzipped bytes, zipped bytes) of the Function component's code package."""
    files = package_files(None, handler)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files.items():
            archive.write(path, name)
    return len(files), sum(p.stat().st_size for p in files.values()), len(buffer.getvalue())


def layer_size(architecture: str, python: str, manylinux: str) -> tuple[int, int]:
    """(zipped, unzipped) bytes of the dependency layer for a platform."""
    path = build_layer(
        DEFAULT_LOCK_FILE, architecture=architecture, python_version=python, manylinux=manylinux
    )
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return path.stat().st_size, unzipped


def photo(width: int, height: int) -> bytes:
    """A photo-like JPEG (gradient plus noise, so the encoders have real work)."""
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(noise, gradient, 0.6)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def derivatives_per_second(data: bytes, runs: int) -> tuple[float, float]:
    """(originals/s, derived images/s) for :func:`derive_images` in this process."""
    derive_images(data)  # warm (codecs loaded)
    start = time.perf_counter()
    produced = 0
    for _ in range(runs):
        produced += len(derive_images(data))
    elapsed = time.perf_counter() - start
    return runs / elapsed, produced / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters per module")
    parser.add_argument("--images", type=int, default=10, help="originals per image size")
    args = parser.parse_args()

    print(f"cold import of each handler module ({args.imports} fresh interpreters, Python "
          f"{PYTHON}): median / min")  # fmt: skip
    for label, handler in HANDLERS.items():
        module = handler.rsplit(".", 1)[0]
        times = cold_import_seconds(module, args.imports)
        print(f"  {label:<28} {statistics.median(times) * 1000:7.0f} ms / "
              f"{min(times) * 1000:5.0f} ms   ({module})")  # fmt: skip

    print("\ndeployment packages (Function component: handler's service tree + ancestors):")
    for label, handler in HANDLERS.items():
        count, raw, zipped = package_size(handler)
        print(
            f"  {label:<28} {count:3d} files, {raw / 1024:6.1f} KiB, "
            f"zipped {zipped / 1024:6.1f} KiB"
        )

    print("\ndependency layer (services/requirements.lock):")
    for architecture, python, manylinux in (
        ("x86_64", PYTHON, "manylinux_2_28"),
        ("arm64", "3.12", "manylinux_2_28"),
    ):
        zipped, unzipped = layer_size(architecture, python, manylinux)
        print(f"  {architecture}/python{python}/{manylinux}: zipped {zipped / 2**20:6.1f} MiB, "
              f"unzipped {unzipped / 2**20:6.1f} MiB (Lambda limit 250 MiB)")  # fmt: skip

    print(f"\nimage derivatives in one process (3 JPEG thumbnails + 1 WebP per original, "
          f"{args.images} originals each):")  # fmt: skip
    for width, height in ((1600, 1200), (4032, 3024)):
        data = photo(width, height)
        originals, derived = derivatives_per_second(data, args.images)
        print(f"  {width}x{height} JPEG ({len(data) / 2**20:4.1f} MiB): {originals:6.2f} "
              f"originals/s, {derived:6.1f} derived images/s, "
              f"{originals * 3:6.1f} thumbnails/s")  # fmt: skip


if __name__ == "__main__":
    main()
