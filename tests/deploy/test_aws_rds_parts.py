"""The Aurora handler's pure parts: identifiers RDS accepts (unique per local cloud, stable per
declaration) and the engine version a cluster gets locally."""

from __future__ import annotations

import re

from hybridstack.emulators.deploy.aws_rds import CLUSTER, identifier, local_engine_version
from hybridstack.emulators.deploy.context import DeployContext
from hybridstack.emulators.deploy.registry import Resource
from hybridstack.emulators.runtime.aurora import LOCAL_ENGINE_VERSION, LOCAL_MAJOR
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

URN = "urn:pulumi:local::hybridstack::hybridstack:aws:PostgresCluster$aws:rds/cluster:Cluster::"
RDS_IDENTIFIER = re.compile(r"^[a-z](?:-?[a-z0-9])*$")


def _cluster_id(aws: str, name: str = "catalog", **inputs: str) -> str:
    ctx = DeployContext(LocalCloudEndpoints(aws=aws))
    resource = Resource(CLUSTER, name, dict(inputs), urn=URN + name)
    return identifier(ctx, resource, explicit="clusterIdentifier", prefix="clusterIdentifierPrefix")


def test_a_cluster_gets_the_same_identifier_in_its_cloud_and_another_in_another_cloud():
    here = _cluster_id("http://127.0.0.1:4566")

    assert _cluster_id("http://127.0.0.1:4566") == here  # a redeploy finds it
    assert _cluster_id("http://127.0.0.1:4600") != here  # no shared container name
    assert here.startswith("catalog-")


def test_identifiers_are_what_rds_accepts_and_a_declared_one_is_kept():
    names = [
        _cluster_id("http://127.0.0.1:4566", "Catalog__DB"),
        _cluster_id("http://127.0.0.1:4566", "9lives"),
        _cluster_id("http://127.0.0.1:4566", "x" * 80),
        _cluster_id("http://127.0.0.1:4566", clusterIdentifierPrefix="music--"),
    ]

    for name in names:
        assert RDS_IDENTIFIER.match(name), name
        assert len(name) <= 63, name
    assert names[3].startswith("music-")
    assert _cluster_id("http://127.0.0.1:4566", clusterIdentifier="music-db") == "music-db"


def test_a_version_of_another_major_is_adapted_to_the_local_one_and_says_so():
    version, adapted = local_engine_version("16.6")

    assert version == LOCAL_ENGINE_VERSION
    assert adapted is not None
    assert "16.6" in adapted
    assert LOCAL_ENGINE_VERSION in adapted
    assert local_engine_version(f"{LOCAL_MAJOR}.4") == (f"{LOCAL_MAJOR}.4", None)
    assert local_engine_version(None) == (LOCAL_ENGINE_VERSION, None)
