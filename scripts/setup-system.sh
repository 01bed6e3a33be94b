#!/usr/bin/env bash
# Installs the system packages dnalc builds against, if missing (Debian/Ubuntu): libyaml-dev
# (the CYAML target, pkg-config yaml-0.1) and zlib1g-dev (the CZlib target, pkg-config zlib,
# for gzip-compressed datasets). Safe to run repeatedly.
set -euo pipefail
if pkg-config --exists yaml-0.1 zlib 2>/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libyaml-dev zlib1g-dev pkg-config >/dev/null
pkg-config --exists yaml-0.1 zlib || { echo "setup-system: libyaml-dev or zlib1g-dev did not install" >&2; exit 1; }
