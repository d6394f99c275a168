"""Lambda handlers of the acme-jobs project."""
