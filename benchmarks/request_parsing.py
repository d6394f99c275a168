"""What the API's request parsing costs per request (``services/common/http.py``: size and UTF-8
check, the depth count before parsing, ``json.loads``, the text rule over every string, the strict
model): microseconds per body, in one process, for a typical body, the largest accepted one, and
the bodies it refuses (deep nesting, too large).

Run:
    .venv/bin/python benchmarks/request_parsing.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from hybridstack.services.common.http import MAX_BODY_BYTES, json_body
from hybridstack.services.messaging.conversations import MessageCreate


def event(body: str) -> APIGatewayProxyEventV2:
    return APIGatewayProxyEventV2(
        {"headers": {"content-type": "application/json"}, "body": body, "isBase64Encoded": False}
    )


def micros_per_parse(body: str, runs: int) -> tuple[float, str]:
    outcome = "accepted"
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            json_body(event(body), MessageCreate)
        except ServiceError as error:
            outcome = f"{error.status_code}"
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    largest_text = "Grüße 👋 " * 440  # 3960 characters, about 5 kB of UTF-8
    bodies: dict[str, Any] = {
        "typical message (40 B)": json.dumps({"text": "new demo", "attachments": ["ab12"]}),
        "largest accepted message (4000 chars, ~5 kB)": json.dumps({"text": largest_text}),
        "60 KiB of strings (refused by the model: too long)": json.dumps(
            {"text": "x" * (MAX_BODY_BYTES - 4096)}
        ),
        "nested 5000 deep, 30 kB (refused: depth)": '{"a":' * 5000 + "1" + "}" * 5000,
        "nested 20000 deep, 120 kB (refused: size)": '{"a":' * 20000 + "1" + "}" * 20000,
    }
    print(f"request parsing, median of {runs} runs (one process; a loaded 2-core machine)")
    for name, body in bodies.items():
        micros, outcome = micros_per_parse(body, runs)
        print(f"  {name:<52} {micros:>9.1f} us   {outcome}")


if __name__ == "__main__":
    main()
