"""The pytest plugin's own behaviour, seen from a user's test session (run in a subprocess):
it starts nothing for tests that don't ask, starts only what the selected tests need, and
refuses bad options by name. None of these sessions starts an emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EMULATOR_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "LOCALSTACK_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
)


def run_pytest(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k not in EMULATOR_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tests_that_do_not_ask_start_no_emulator(tmp_path):
    result = run_pytest(tmp_path, "def test_pure():\n    assert 1 + 1 == 2\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "hybridstack local cloud" not in result.stdout


def test_only_the_emulators_the_fixtures_need_are_asked_for(tmp_path):
    source = "def test_upload(s3):\n    pass\n\ndef test_unrelated():\n    pass\n"

    result = run_pytest(tmp_path, source, "--local-cloud=external")

    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the tests need aws but AWS_ENDPOINT_URL (or LOCALSTACK_HOST) is not set" in out
    assert "firestore" not in out.lower()


def test_marker_adds_emulators_to_what_fixtures_need(tmp_path):
    source = "import pytest\n\n@pytest.mark.emulators('firestore')\ndef test_both(s3):\n    pass\n"

    result = run_pytest(tmp_path, source, "--local-cloud=external")

    assert "the tests need aws, firestore but" in result.stdout + result.stderr


def test_deselected_tests_do_not_count(tmp_path):
    source = "def test_store(firestore_client):\n    pass\n\ndef test_upload(s3):\n    pass\n"

    result = run_pytest(tmp_path, source, "--local-cloud=external", "-k", "upload")

    out = result.stdout + result.stderr
    assert "the tests need aws but" in out
    assert "FIRESTORE_EMULATOR_HOST" not in out


def test_not_emulators_deselects_every_test_that_uses_the_cloud(tmp_path):
    source = "def test_upload(s3):\n    pass\n\ndef test_pure():\n    pass\n"

    result = run_pytest(tmp_path, source, "-m", "not emulators")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 deselected" in result.stdout


@pytest.mark.parametrize(
    ("source", "args", "message"),
    [
        (
            "import pytest\n\n@pytest.mark.emulators('fire')\ndef test_x(local_cloud):\n    pass\n",
            (),
            "test_user.py::test_x: @pytest.mark.emulators('fire'): unknown emulator",
        ),
        (
            "def test_x():\n    pass\n",
            ("--local-cloud-services=aws,fire",),
            "unknown emulator 'fire'",
        ),
        ("def test_x():\n    pass\n", ("--local-cloud=docker",), "invalid choice: 'docker'"),
    ],
)
def test_bad_options_are_refused_by_name(tmp_path, source, args, message):
    result = run_pytest(tmp_path, source, *args)

    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_a_marked_test_without_fixtures_gets_the_cloud(tmp_path):
    source = (
        "import pytest\n\n@pytest.mark.emulators('pubsub')\ndef test_service_code():\n    pass\n"
    )

    result = run_pytest(tmp_path, source, "--local-cloud=external")

    assert "the tests need pubsub but PUBSUB_EMULATOR_HOST is not set" in (
        result.stdout + result.stderr
    )
