"""Data: firebase-tools pinned (package.json + package-lock.json) and its start-up preload."""
