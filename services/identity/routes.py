"""The identity API's routes, declared once (API Gateway route keys; no runtime dependency).

Example:
    from hybridstack.services.identity import routes

    for key in routes.USER_ROUTES:
        api.route(key, identity_function)
"""

GET_ME = "GET /users/me"
PATCH_ME = "PATCH /users/me"
PUT_ROLE = "PUT /users/{uid}/role"
REGISTRATION = "POST /internal/users"
"""Called by the Firebase blocking function only: the program puts it behind the Google JWT
authorizer of the registration service account, not the Firebase users' one."""
USER_ROUTES = (GET_ME, PATCH_ME, PUT_ROLE)
"""The routes for signed-in users (the Firebase JWT authorizer)."""
ROUTES = (*USER_ROUTES, REGISTRATION)
