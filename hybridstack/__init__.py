"""hybridstack: Pulumi components for hybrid AWS + Firebase/GCP platforms and a local cloud.

Packages:
    hybridstack.components  Pulumi ComponentResources, one per file.
    hybridstack.services    Service code: domain logic plus thin Lambda / Firebase adapters.
    hybridstack.emulators   The local cloud: emulators, the local deploy engine, the pytest plugin.
    hybridstack.recording   Run programs under Pulumi mocks and record what they register.
    hybridstack.testing     Test helpers on top of it (run_under_mocks, of_type).
    hybridstack.local_settings  The local cloud's settings for a program deployed into it.
"""

__version__ = "0.1.0"
