#!/bin/bash
# Runs inside the debootstrapped tree (chroot) after rootfs/ was copied over it: a bare bookworm with
# Node.js and npm, the machine a new user starts from (tests/fresh/fresh_controller.ts).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# debootstrap wrote a one-line sources.list; rootfs/ brings the deb822 file with updates and security.
rm -f /etc/apt/sources.list

# npm with apt, whose resolver handles the virtual packages debootstrap's does not.
apt-get update -q
apt-get install -y -q --no-install-recommends npm

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
