"""Maps the repository's top-level folders onto the one import name ``hybridstack``.

The code lives where the design card puts it (``components/``, ``services/``, ``emulators/`` at
the top of the repository) and imports as ``hybridstack.components``, ``hybridstack.services``,
``hybridstack.emulators``; a wheel installs it under ``site-packages/hybridstack/``, and an
editable install maps the same names onto these folders. Each file has one path.
"""

from setuptools import find_packages, setup

LIBRARY_FOLDERS = ("components", "services", "emulators")

setup(
    package_dir={"hybridstack": "hybridstack", **{f"hybridstack.{f}": f for f in LIBRARY_FOLDERS}},
    packages=["hybridstack"]
    + [
        f"hybridstack.{package}"
        for folder in LIBRARY_FOLDERS
        for package in find_packages(include=[folder, f"{folder}.*"])
    ],
)
