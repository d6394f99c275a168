"""Reference architecture B: a messaging app with a production media pipeline.

- Firebase Auth; Firestore holds message metadata, conversation state, typing indicators (with
  a TTL) and read receipts, with rules letting only a conversation's members read or write it;
- an S3 media bucket with the prefixes ``images/{original,thumbnails,optimized}``,
  ``videos/{original,compressed,hls}``, ``voice/``, ``files/``, ``profiles/{original,thumbnails}``;
  versioning, lifecycle archiving, SSE, access logging, CORS for mobile clients, deny-non-TLS
  (all :class:`MediaStore` defaults);
- CloudFront in front of the media: a year of caching for images and thumbnails, an hour for
  video, compression on;
- processing on upload: S3 -> SQS (+ dead-letter queue) -> the media processor (thumbnails in
  three sizes, WebP, metadata; ``hybridstack.services.media``);
- REST API: ``POST /media/upload`` (pre-signed POST with size and type limits),
  ``GET /media/{id}``, ``DELETE /media/{id}`` (soft delete), with stage throttling for rate
  limits;
- alarms: Lambda error rate > 1 %, API latency > 500 ms, budget > $200/month.

Not composed here: the Redis cache (ElastiCache needs a VPC; the services cache in DynamoDB),
API keys (an API Gateway REST API feature; this HTTP API identifies callers by their JWT),
video transcoding and moderation (MediaConvert and Rekognition jobs the processor starts).
"""

from __future__ import annotations

import pulumi

from hybridstack.components.alerts import Alerts
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.firebase_project import FirebaseProject
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.identity import Identity
from hybridstack.components.media_store import MediaStore, function_role_names
from hybridstack.components.realtime_store import RealtimeStore
from hybridstack.components.table import Table

config = pulumi.Config()
project = config.get("firebaseProject") or f"demo-messaging-{pulumi.get_stack()}"
origins = config.get_object("appOrigins") or ["capacitor://localhost", "http://localhost:8100"]
stack = pulumi.get_stack()
media_api_role = f"messaging-media-api-{stack}"

CHAT_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    function isMember(conversation) {
      let path = /databases/$(database)/documents/conversations/$(conversation);
      return request.auth != null && request.auth.uid in get(path).data.members;
    }
    match /conversations/{conversation} {
      allow read, update: if isMember(conversation);
      allow create: if request.auth != null && request.auth.uid in request.resource.data.members;
      match /messages/{message} {
        allow read: if isMember(conversation);
        allow create: if isMember(conversation)
          && request.resource.data.senderId == request.auth.uid;
      }
      match /typing/{uid} {
        allow read: if isMember(conversation);
        allow write: if isMember(conversation) && uid == request.auth.uid;
      }
      match /receipts/{uid} {
        allow read: if isMember(conversation);
        allow write: if isMember(conversation) && uid == request.auth.uid;
      }
    }
    match /media/{mediaId} {
      allow read: if request.auth != null && resource.data.owner == request.auth.uid;
    }
  }
}
"""

firebase = FirebaseProject("firebase", {"project": project, "web_app_name": "messaging"})
after_firebase = pulumi.ResourceOptions(depends_on=firebase.ready)
identity = Identity("identity", {"project": project, "anonymous": False}, opts=after_firebase)
access = CrossCloudAccess(
    "xc",
    {
        "project": project,
        "trusted_aws_roles": [media_api_role, *function_role_names("media").values()],
    },
    opts=after_firebase,
)
realtime = RealtimeStore(
    "realtime",
    {
        "project": project,
        "rules": CHAT_RULES,
        "indexes": [
            {
                "collection": "messages",
                "query_scope": "COLLECTION_GROUP",
                "fields": [("conversationId", "ASCENDING"), ("sentAt", "DESCENDING")],
            }
        ],
        "ttl_fields": [{"collection": "typing", "field": "expireAt"}],
        "access": access,
    },
    opts=after_firebase,
)

database = Table("database", {"ttl_attribute": "expiresAt"})
idempotency = Table(
    "idempotency", {"partition_key": "id", "sort_key": None, "ttl_attribute": "expiration"}
)

media = MediaStore(
    "media",
    {
        "processing_handler": "hybridstack.services.media.events.handle",
        "processing": {"memory": 2048, "timeout": 300},
        "link": [database, idempotency, realtime],
        "cors_origins": origins,
        "cdn": True,
    },
)
media_api = Function(
    "media-api",
    {
        "handler": "hybridstack.services.media.api.handle",
        "link": [media, database, idempotency, realtime],
        "dead_letter": False,  # invoked synchronously by API Gateway only
    },
    transform={"role": lambda args: {**args, "name": media_api_role}},
)
api = HttpApi(
    "api",
    {
        "authorizer": identity,
        "cors": {"allow_origins": origins},
        "throttle_rate": 20,  # per-stage rate limit; per-user limits live in the service
        "throttle_burst": 40,
    },
)
for route in ("POST /media/upload", "GET /media/{media_id}", "DELETE /media/{media_id}"):
    api.route(route, media_api)

alerts = Alerts(
    "alarms",
    {
        "emails": [config.get("alertEmail") or "messaging-oncall@example.com"],
        "monthly_budget_usd": 200,
    },
)
for function in (media_api, media.processor):
    alerts.watch_function(function, error_rate_percent=1)
alerts.watch_api(api, latency_ms=500)

pulumi.export("apiUrl", api.url)
pulumi.export("mediaCdnUrl", media.cdn_url)
pulumi.export("mediaBucket", media.bucket_name)
pulumi.export("firebaseConfig", firebase.client_config)
