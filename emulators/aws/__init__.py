"""Data: MiniStack's pinned requirements (ministack.in -> ministack.lock, with hashes)."""
