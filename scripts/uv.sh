#!/usr/bin/env bash
# Runs uv, installing it first (from PyPI, pinned) when this machine has none.
# Used by the Makefile so that `make run` / `make test` work on a machine with
# only Python 3.11+, Node.js and the package registries.
set -euo pipefail
UV_VERSION=0.13.9
if command -v uv >/dev/null 2>&1; then
  exec uv "$@"
fi
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
  echo "installing uv ${UV_VERSION} from PyPI..." >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" >&2 \
    || "$PYTHON" -m pip install --quiet --user --disable-pip-version-check "uv==${UV_VERSION}" >&2
fi
exec "$PYTHON" -m uv "$@"
