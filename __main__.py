"""The reference platform program: typed stack config -> hybridstack components -> outputs.

Everything lives in :mod:`reference_platform.program` so tests, examples and the benchmark build
exactly what ``pulumi up`` builds. Config is validated before any resource registers.
"""

from reference_platform.program import build_platform

build_platform().export()
