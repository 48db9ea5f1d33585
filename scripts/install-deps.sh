#!/usr/bin/env bash
# Installs the Debian 12 packages roomctl needs to build, test and run.
# Idempotent and quiet: when everything is present it prints nothing and touches nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache clang-14 libclang-rt-14-dev clang-format
  util-linux
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcli11-dev libyaml-cpp-dev catch2 libhiredis-dev libsqlite3-dev libssl-dev
  redis-server prometheus python3 curl help2man systemd chromium
  haproxy nginx-light
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# redis-server, haproxy and nginx would start their system services on install; the tests start
# their own processes on free loopback ports, so invoke-rc.d is told not to start anything
# (policy-rc.d exiting 101: "action forbidden") while we install, unless a policy is in place.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
