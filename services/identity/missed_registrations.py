"""Missed registrations: users whose record the API had to create lazily.

The blocking function registers every new user with the AWS API at sign-up
(:mod:`~hybridstack.services.identity.registration`) and lets the sign-up through when that
fails. The failure is then seen twice: the blocking function logs ``registration failed`` with
the uid and the reason, and when the user first calls the API, :func:`report` counts one
``MissedRegistrations`` in CloudWatch (an embedded-metric log line that names the uid), which the
platform's alerts watch (``Alerts.watch_metric``).

Example:
    report("u1")   # prints {"_aws": {... "MissedRegistrations" ...}, "uid": "u1", ...}
"""

from __future__ import annotations

NAMESPACE = "hybridstack/identity"
METRIC = "MissedRegistrations"


def report(uid: str) -> None:
    """Count one user whose record registration did not create (metric + warning, both naming
    the uid)."""
    # Imported here: the Pulumi program reads NAMESPACE and METRIC without the services' layer.
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    Logger(service="identity").warning(
        "user record created lazily: registration missed", extra={"uid": uid}
    )
    with single_metric(name=METRIC, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        metric.add_metadata(key="uid", value=uid)
