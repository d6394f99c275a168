"""hybridstack: Pulumi components for hybrid AWS + Firebase/GCP platforms and a local cloud.

Packages (``components/``, ``services/`` and ``emulators/`` of the repository; setup.py maps them):
    hybridstack.components      Pulumi ComponentResources, one per file.
    hybridstack.services        Service code: domain logic plus thin Lambda / Firebase adapters.
    hybridstack.emulators       The local cloud: runtime/ (emulators and backends), deploy/ (the
                                local deploy engine), devtools/ (CLI, pytest plugin, seeds).
Modules:
    hybridstack.policy          The policy rules every registered resource is checked against.
    hybridstack.crossguard      The same rules as a CrossGuard policy pack.
    hybridstack.recording       Run programs under Pulumi mocks and record what they register.
    hybridstack.testing         Test helpers on top of it (run_under_mocks, of_type).
    hybridstack.local_settings  The local cloud's settings for a program deployed into it.
    hybridstack.locations       Where the local cloud's tools are installed.
"""

__version__ = "0.1.0"
