"""Print pip constraints that pin every dependency to its floor.

Each ``name>=X.Y`` of pyproject.toml's dependencies and of the extras named
on the command line becomes ``name==X.Y.*``: the oldest releases the
project says it supports, so that CI can check the claim.

    python .ci/floors.py tests > floors.txt
    pip install -c floors.txt -e ".[tests]"
"""

import re
import sys
from pathlib import Path

import tomllib

project = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())[
    "project"
]
requirements = list(project["dependencies"])
for extra in sys.argv[1:]:
    requirements += project["optional-dependencies"][extra]
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)>=([0-9.]+)", requirement)
    if match is None:
        sys.exit(f"not a 'name>=version' floor: {requirement!r}")
    name, version = match.groups()
    print(f"{name}=={version}.*")
