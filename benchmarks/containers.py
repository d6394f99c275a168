"""Figures for the containers backend: image builds (cold and cached), start, reset, memory.

    .venv/bin/python benchmarks/containers.py          # cached images (builds them if missing)
    .venv/bin/python benchmarks/containers.py --cold   # removes hybridstack's images first

A cold run makes everything from nothing: the debootstrap base image, the MiniStack image and the
Firebase image (JRE from Debian, firebase-tools from npm, MiniStack from PyPI). Needs a Docker
engine (scripts/setup starts one as root).
"""

from __future__ import annotations

import argparse
import time

import docker

from hybridstack.emulators.runtime.containers import ContainerCloud
from hybridstack.emulators.runtime.containers.base_image import BASE_IMAGE, ensure_base_image
from hybridstack.emulators.runtime.containers.images import (
    aws_image_spec,
    ensure_image,
    firebase_image_spec,
)


def remove_images(client: docker.DockerClient) -> list[str]:
    """Remove every image hybridstack built (base included) and the build cache they leave."""
    removed = []
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(("hybridstack/local-", BASE_IMAGE.split(":")[0] + ":")):
                client.images.remove(tag, force=True)
                removed.append(tag)
    client.images.prune(filters={"dangling": True})
    return removed


def memory_mib(client: docker.DockerClient, container_id: str) -> float:
    stats = client.containers.get(container_id).stats(stream=False)
    usage = stats["memory_stats"].get("usage", 0) - stats["memory_stats"].get("stats", {}).get(
        "cache", 0
    )
    return float(usage) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="remove hybridstack's images first")
    args = parser.parse_args()
    client = docker.from_env(timeout=120)
    if args.cold:
        print("removed:", ", ".join(remove_images(client)) or "nothing")
    began = time.monotonic()
    ensure_base_image(client, print)
    base_seconds = time.monotonic() - began
    figures = {"base image": base_seconds}
    for name, make_spec in (("aws image", aws_image_spec), ("firebase image", firebase_image_spec)):
        began = time.monotonic()
        ensure_image(client, make_spec(), print)
        figures[name] = time.monotonic() - began
    figures["all images"] = sum(figures.values())
    print("\n== images ({})".format("cold" if args.cold else "cached"))
    for name, seconds in figures.items():
        print(f"{name:>16}: {seconds:7.1f} s")

    cloud = ContainerCloud()
    began = time.monotonic()
    cloud.start()
    total = time.monotonic() - began
    try:
        print("\n== start (images present)")
        for name, seconds in sorted(cloud.start_seconds.items(), key=lambda kv: kv[1]):
            print(f"{name:>16}: {seconds:7.2f} s")
        print(f"{'start() call':>16}: {total:7.2f} s")
        resets = [cloud.reset() for _ in range(5)]
        print("\n== reset (median of 5, all emulators in parallel)")
        for name in resets[0]:
            values = sorted(r[name] for r in resets)
            print(f"{name:>16}: {values[2] * 1000:7.1f} ms")
        print("\n== memory (container usage without page cache)")
        ids = cloud.container_ids()
        mib = {name: memory_mib(client, cid) for name, cid in ids.items()}
        for name, value in sorted(mib.items()):
            print(f"{name:>16}: {value:7.0f} MiB")
        print(f"{'total':>16}: {sum(mib.values()):7.0f} MiB")
    finally:
        cloud.stop()
        client.close()


if __name__ == "__main__":
    main()
