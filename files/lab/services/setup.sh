#!/bin/bash
# Runs inside the debootstrapped tree (chroot) after rootfs/ was copied over it. The containers of this
# image run one program each in the foreground (lib/lab/registry.ts gives the command): no init, so the
# packages' own services (their systemd units) never start.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# debootstrap wrote a one-line sources.list; rootfs/ brings the deb822 file with updates and security.
rm -f /etc/apt/sources.list
test -x /usr/bin/docker-registry
test -x /usr/sbin/squid
# squid writes its access log here as its own user (proxy); the package made it.
install -d -o proxy -g proxy /var/log/squid /var/spool/squid

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
