"""Firebase (Cloud Functions for Firebase, Python) adapters of the services."""
