"""Resource types with no local meaning: reported by name in the deploy result, never created.

Each entry says why. The program still gets plausible outputs (ARNs, e-mails, ids in the cloud's
formats, from :class:`hybridstack.recording.RecordingMocks`) so everything that depends on them
declares as on AWS and GCP.

Example:
    result = deploy_local_stack(endpoints, project_dir=Path("."))
    [(n.type, n.name) for n in result.not_emulated]   # [("aws:budgets/budget:Budget", "ops"), ...]
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext
from hybridstack.emulators.deploy.registry import Created, Resource, handles, nothing_to_delete
from hybridstack.recording import RecordingMocks, module_and_kind

_NO_IAM = "no Google IAM emulator: local emulators let every caller in"
NOT_EMULATED: dict[str, str] = {
    # AWS
    "aws:budgets/budget:Budget": "budgets have no local meaning (nothing is billed)",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "the AWS emulator publishes no metrics to alarm on",
    "aws:cloudfront/distribution:Distribution": "no CDN locally: objects are served by S3",
    "aws:cloudfront/cachePolicy:CachePolicy": "no CDN locally",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "no CDN locally",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no CDN locally",
    "aws:wafv2/webAcl:WebAcl": "no web application firewall locally",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "no web application firewall locally",
    # Google / Firebase management plane
    "gcp:firebase/project:Project": "demo- projects exist implicitly in the Firebase emulators",
    "gcp:firebase/webApp:WebApp": "the emulators need no registered web app",
    "gcp:projects/service:Service": "no APIs to enable locally",
    "gcp:identityplatform/config:Config": "the Auth emulator accepts every sign-in method",
    "gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig": (
        "the Auth emulator accepts every identity provider"
    ),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (
        "no Workload Identity locally: functions reach the emulators without credentials"
    ),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        "no Workload Identity locally"
    ),
    "gcp:serviceaccount/account:Account": _NO_IAM,
    "gcp:serviceaccount/iAMMember:IAMMember": _NO_IAM,
    "gcp:projects/iAMMember:IAMMember": _NO_IAM,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _NO_IAM,
    "gcp:pubsub/topicIAMMember:TopicIAMMember": _NO_IAM,
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": _NO_IAM,
    "gcp:firestore/database:Database": "the Firestore emulator serves every database implicitly",
    "gcp:firestore/field:Field": "the Firestore emulator applies no TTL or field index settings",
    "gcp:firestore/index:Index": "the Firestore emulator needs no composite indexes",
    "gcp:firebase/storageBucket:StorageBucket": (
        "fake-gcs-server serves Firebase Storage clients from the bucket itself"
    ),
}


def placeholder_outputs(ctx: DeployContext, resource: Resource) -> dict[str, object]:
    """The outputs the cloud would compute, in its formats (account and project of the cloud)."""
    package, module, kind = module_and_kind(resource.type)
    mocks = RecordingMocks(project=ctx.project_id)
    outputs = mocks._computed_outputs(package, module, kind, resource.name, resource.inputs)
    return {key: value for key, value in outputs.items() if key != "id"} | {
        "id": outputs.get("id", f"{resource.name}-id")
    }


def not_emulated(ctx: DeployContext, resource: Resource) -> Created:
    outputs = placeholder_outputs(ctx, resource)
    return Created(id=str(outputs["id"]), outputs=outputs, not_emulated=NOT_EMULATED[resource.type])


handles(*NOT_EMULATED, delete=nothing_to_delete("nothing is made locally"))(not_emulated)
