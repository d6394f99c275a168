"""The media service's routes, declared once (API Gateway route keys; no runtime dependency).

``API_ROUTES`` are served by ``api.py`` (signed-in users); ``SYNC_ROUTES`` by ``sync.py``, where
MediaStore's Pub/Sub push subscription delivers Firebase Storage events.

Example:
    from hybridstack.services.media import routes

    for key in routes.API_ROUTES:
        api.route(key, media_function)
"""

UPLOAD = "POST /media/upload"
GET_MEDIA = "GET /media/{media_id}"
DELETE_MEDIA = "DELETE /media/{media_id}"
API_ROUTES = (UPLOAD, GET_MEDIA, DELETE_MEDIA)
SYNC = "POST /media/sync"
SYNC_ROUTES = (SYNC,)
