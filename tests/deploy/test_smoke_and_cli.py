"""The smoke journey ``hybridstack up`` prints, and the deploy commands' errors."""

from __future__ import annotations

from typer.testing import CliRunner

from hybridstack.emulators.devtools.cli import app
from hybridstack.emulators.devtools.smoke import SmokeStepError, run_smoke_journey
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints


def test_the_smoke_journey_passes_on_the_deployed_stack(deployed_stack):
    report = run_smoke_journey(deployed_stack.endpoints, deployed_stack.outputs)

    assert report.passed, [(s.name, s.detail) for s in report.steps if not s.ok]
    assert [s.name for s in report.steps] == [
        "API health",
        "sign-up; unsigned token refused",
        "authorized route with a signed identity",
    ]


def test_a_failing_step_is_reported_with_its_reason_and_the_rest_still_run():
    def broken(journey) -> str:
        raise SmokeStepError("GET /health: expected 200, got 502")

    report = run_smoke_journey(
        LocalCloudEndpoints(),
        {"apiUrl": "http://127.0.0.1:9/"},
        steps=[("health", broken), ("after", lambda journey: journey.url("x"))],
    )

    assert not report.passed
    assert report.steps[0].detail == "SmokeStepError: GET /health: expected 200, got 502"
    assert report.steps[1].ok
    assert report.steps[1].detail == "http://127.0.0.1:9/x"


def test_deploy_without_a_running_cloud_says_how_to_start_one(tmp_path):
    result = CliRunner().invoke(app, ["deploy", "--state-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "no local cloud is running" in result.output
    assert "hybridstack up" in result.output


def test_outputs_before_any_deploy_names_the_missing_file(tmp_path):
    result = CliRunner().invoke(app, ["outputs", "--state-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "has not been deployed" in result.output
    assert "deploy-local.outputs.json" in result.output


def test_config_overrides_name_a_setting_that_is_not_key_equals_value(tmp_path):
    from hybridstack.emulators.devtools.cli.deploy import config_overrides

    assert config_overrides(["database=postgres", "aws:region=eu-west-1", "x="]) == {
        "database": "postgres",
        "aws:region": "eu-west-1",
        "x": "",
    }
    for command in ("up", "deploy"):
        result = CliRunner().invoke(
            app, [command, "--state-dir", str(tmp_path), "--config", "postgres"]
        )
        assert result.exit_code == 2
        assert "'postgres' is not KEY=VALUE" in result.output
    assert not list(tmp_path.iterdir())  # refused before anything started
