"""The local cloud's first layer: the emulators and the two backends that run them.

One module per emulator (``ministack``, ``firebase_tools``, ``firestore``, ``pubsub``,
``storage``, ``local_issuer``, ``aurora``), each with the same roles: start it, check it is
ready, wipe it. The process backend (``local_cloud``) and the containers backend
(``containers/``) run them; nothing here knows about Pulumi programs or the CLI.
"""
