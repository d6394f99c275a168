"""Acme's job pipeline: hybridstack's Queue feeding hybridstack's Function (our own handler)."""

from pathlib import Path

import pulumi
from acme.stack import jobs_pipeline

pipeline = jobs_pipeline(code_root=Path(__file__).parent)
pulumi.export("jobsQueueUrl", pipeline.queue.url)
pulumi.export("workerName", pipeline.worker.function.name)
