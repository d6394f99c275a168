"""Acme's own code: the stack composition and the Lambda handlers."""
