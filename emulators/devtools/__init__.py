"""The local cloud's third layer: what developers run.

The ``hybridstack`` command (``cli/``), the pytest plugin and its fixtures, the seed loader, the
dev loop and the smoke journey. They start the emulator runtime and deploy with the deploy engine.
"""
