#!/bin/bash
# Runs inside the debootstrapped tree (chroot) after rootfs/ was copied over it.
# Turns a bare bookworm into something that boots under Docker like a small server.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# debootstrap wrote a one-line sources.list; rootfs/ brings the deb822 file with updates and security.
rm -f /etc/apt/sources.list

# mod_status stays loaded as Debian ships it (mods-enabled/status.load), but the stock
# mods-available/status.conf also holds a <Location /server-status> block. Our deploy refuses to run
# next to an unmanaged <Location /server-status> (an operator's host would not have one), so the lab
# host drops that block and keeps the rest (ExtendedStatus On, ProxyStatus).
conf=/etc/apache2/mods-available/status.conf
sed -i '/<Location \/server-status>/,/<\/Location>/d' "$conf"
sed -i '1i # isa-monitoring lab: the stock server-status Location block was removed (see files/lab/host/setup.sh in isa-monitoring).' "$conf"
if grep -qiE '^[[:space:]]*<Location' "$conf"; then echo "status.conf still has a <Location> block" >&2; exit 1; fi
a2enmod -q status >/dev/null

# Units that make no sense in a container, or that would race the deploy for the dpkg lock.
systemctl mask \
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  getty@tty1.service console-getty.service serial-getty@.service getty.target \
  systemd-remount-fs.service systemd-modules-load.service systemd-firstboot.service \
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  >/dev/null 2>&1
systemctl enable ssh.service apache2.service >/dev/null 2>&1
systemctl set-default multi-user.target >/dev/null 2>&1

# Host keys are injected per host at container creation; the image carries none.
rm -f /etc/ssh/ssh_host_*
mkdir -p /root/.ssh && chmod 700 /root/.ssh

# A fresh machine-id per boot, like a cloned VM template.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
