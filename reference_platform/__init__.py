"""The reference platform: an application of hybridstack, not part of the library.

It composes the library's components into the media platform the repository's own Pulumi
project (``Pulumi.yaml`` and ``__main__.py`` at the top) deploys, from typed stack config
(``config.py``). It is not shipped in the ``hybridstack`` wheel; a team's own project looks like
``examples/external-project``.

Example:
    from reference_platform.program import build_platform

    build_platform().export()
"""
