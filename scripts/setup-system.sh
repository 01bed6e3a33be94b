#!/usr/bin/env bash
# Installs the system packages dnalc builds against, if missing (Debian/Ubuntu): libyaml-dev
# (the CYAML target, pkg-config yaml-0.1), zlib1g-dev (CZlib, pkg-config zlib, for gzip-compressed
# datasets), and libjpeg-dev (libjpeg-turbo) and libpng-dev (CJPEG and CPNG, pkg-config libjpeg and
# libpng, for image-folder datasets). Safe to run repeatedly.
set -euo pipefail
packages="yaml-0.1 zlib libjpeg libpng"
if pkg-config --exists $packages 2>/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libyaml-dev zlib1g-dev libjpeg-dev libpng-dev pkg-config >/dev/null
pkg-config --exists $packages || { echo "setup-system: libyaml-dev, zlib1g-dev, libjpeg-dev or libpng-dev did not install" >&2; exit 1; }
