"""The platform API's routes, declared once (API Gateway route keys; no runtime dependency).

The adapter (``handler.py``) serves exactly these and a program routes exactly these to its
Function; importing this module costs nothing (no Powertools, no SDK).

Example:
    from hybridstack.services.api import routes

    api.route(routes.HEALTH, function, public=True)
"""

HEALTH = "GET /health"
"""The one route served without an authorizer: liveness answers anyone."""
ME = "GET /me"
"""The caller's verified identity."""
ROUTES = (HEALTH, ME)
PUBLIC_ROUTES = (HEALTH,)
