"""The reference platform program: typed stack config -> hybridstack components -> outputs.

Everything lives in :mod:`hybridstack.platform` so tests, examples and the benchmark build
exactly what ``pulumi up`` builds. Config is validated before any resource registers.
"""

from hybridstack.platform import build_platform

build_platform().export()
