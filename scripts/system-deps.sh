#!/usr/bin/env bash
# Install the Debian packages protocolkit's tests and diagrams use, when we are root.
# Each package is installed only when missing; without root we say what to install and go on.
set -euo pipefail
packages=(graphviz chromium libreoffice-writer-nogui poppler-utils fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "note: not root, so not installing: ${missing[*]} (tests that need them will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
