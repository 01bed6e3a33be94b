#!/usr/bin/env bash
# Installs the system packages dnalc builds against, if missing (Debian/Ubuntu): libyaml-dev,
# reached through the CYAML system-library target (pkg-config yaml-0.1). Safe to run repeatedly.
set -euo pipefail
if pkg-config --exists yaml-0.1 2>/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libyaml-dev pkg-config >/dev/null
pkg-config --exists yaml-0.1 || { echo "setup-system: libyaml-dev did not install" >&2; exit 1; }
