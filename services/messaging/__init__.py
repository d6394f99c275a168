"""Messaging: conversations and messages in Firestore, media attachments, read receipts, and
the security rules that keep each conversation to its members (``firestore.rules``)."""
