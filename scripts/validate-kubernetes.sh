#!/usr/bin/env bash
# Validates the Kubernetes manifests under docker/kubernetes/ against the Kubernetes API's own
# OpenAPI schemas with kubernetes-validate (PyPI; the schemas ship inside the package, so no cluster
# and no network are needed once it is installed), strictly: an unknown field is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v kubernetes-validate >/dev/null; then
  echo "[validate-kubernetes] installing kubernetes-validate (pip, first run only)"
  python3 -m pip install --quiet --disable-pip-version-check 'kubernetes-validate==1.*' 2>&1 | grep -v 'WARNING: Running pip as' || true
fi
kubernetes-validate --strict --quiet docker/kubernetes/*.yaml
echo "[validate-kubernetes] $(ls docker/kubernetes/*.yaml | wc -l) files valid (kubernetes-validate $(kubernetes-validate --version 2>&1 | awk '{print $NF}'), Kubernetes 1.37)"
