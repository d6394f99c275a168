"""The messaging API's routes, declared once (API Gateway route keys; no runtime dependency).

Example:
    from hybridstack.services.messaging import routes

    for key in routes.ROUTES:
        api.route(key, messaging_function)
"""

NEW_CONVERSATION = "POST /conversations"
NEW_MESSAGE = "POST /conversations/{conversation_id}/messages"
READ = "POST /conversations/{conversation_id}/read"
ROUTES = (NEW_CONVERSATION, NEW_MESSAGE, READ)
