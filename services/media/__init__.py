"""Media: pre-signed uploads, processing on upload, delivery and Firebase Storage sync."""
