"""Build bearman-cli as a zipapp: one executable file holding the agent's pure-Python package.

grpcio and protobuf are compiled extensions and cannot load from a zip: the image needs them
installed (`pip install 'grpcio>=1.85.1' 'protobuf>=7.36.2'`) beside the zipapp.
Usage: python agent/tools/make_zipapp.py [OUTPUT]   (default: dist/bearman-cli.pyz)
"""

from __future__ import annotations

import sys
import zipapp
from pathlib import Path

AGENT = Path(__file__).resolve().parent.parent
INTERPRETER = "/usr/bin/env python3"


def _wanted(path: Path) -> bool:
    """Only the package's sources and type stubs; no caches."""
    return (
        path.parts[0] == "bearman_agent"
        and "__pycache__" not in path.parts
        and (path.is_dir() or path.suffix in (".py", ".pyi"))
    )


def build(output: Path) -> Path:
    """Write the zipapp to output and return its path."""
    output.parent.mkdir(parents=True, exist_ok=True)
    zipapp.create_archive(
        AGENT,
        target=output,
        interpreter=INTERPRETER,
        main="bearman_agent.cli:main",
        filter=_wanted,
        compressed=True,
    )
    return output


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/bearman-cli.pyz")))
