#!/bin/bash
# Runs inside the debootstrapped tree (chroot) after rootfs/ was copied over it: a bare bookworm with sshd
# and Apache that starts without systemd (files/lab/host-light/README.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

rm -f /etc/apt/sources.list

# As on the normal Debian host (files/lab/host/setup.sh): mod_status loaded, the stock
# <Location /server-status> block removed (our deploy refuses to run next to an unmanaged one).
conf=/etc/apache2/mods-available/status.conf
sed -i '/<Location \/server-status>/,/<\/Location>/d' "$conf"
sed -i '1i # isa-monitoring lab: the stock server-status Location block was removed (see files/lab/host/setup.sh in isa-monitoring).' "$conf"
if grep -qiE '^[[:space:]]*<Location' "$conf"; then echo "status.conf still has a <Location> block" >&2; exit 1; fi
a2enmod -q status >/dev/null

# Fifty of these share two CPUs: one event-MPM child to start with instead of two.
sed -i 's/^\([[:space:]]*StartServers[[:space:]]\+\)[0-9]\+/\11/' /etc/apache2/mods-available/mpm_event.conf

# Host keys are injected per host at container creation; the image carries none.
rm -f /etc/ssh/ssh_host_*
mkdir -p /root/.ssh && chmod 700 /root/.ssh

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
