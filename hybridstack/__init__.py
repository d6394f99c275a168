"""hybridstack: Pulumi components for hybrid AWS + Firebase/GCP platforms and a local cloud.

Packages:
    hybridstack.components  Pulumi ComponentResources, one per file.
    hybridstack.services    Service code: domain logic plus thin Lambda / Firebase adapters.
    hybridstack.emulators   The local cloud: emulators, the local deploy engine, the pytest plugin.
    hybridstack.testing     Run programs under Pulumi mocks and inspect what they register.
"""

__version__ = "0.1.0"
