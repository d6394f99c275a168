"""Realtime: typed documents pushed from AWS code to Firestore for real-time clients."""
