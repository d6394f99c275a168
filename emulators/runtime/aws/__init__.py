"""MiniStack as the local cloud runs it: its pinned requirements (``ministack.in`` ->
``ministack.lock``, with hashes) and ``ministack_patches.py``, the entry point that adds what its
Lambda service lacks."""
