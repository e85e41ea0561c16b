#!/bin/bash
# Runs inside the debootstrapped tree (chroot) after rootfs/ was copied over it.
# Turns a bare bookworm into an RHEL-9-shaped server that boots under Docker: RHEL's os-release, Apache
# laid out as on RHEL (httpd, /etc/httpd, httpd.service, the apachectl wrapper), an rpm database,
# firewalld (nftables backend) enabled, Docker preinstalled. See files/lab/host-rhel/README.md.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# debootstrap wrote a one-line sources.list; rootfs/ brings the deb822 file with updates and security.
rm -f /etc/apt/sources.list

# /etc/os-release: RHEL 9.6's file (rootfs/usr/lib/os-release, from python-distro's test data, see
# ../shared/fixtures/hosts/SOURCES.md). On RHEL as on Debian, /etc/os-release links to it.
ln -sf ../usr/lib/os-release /etc/os-release
grep -qx 'ID="rhel"' /usr/lib/os-release

# --- Apache as on RHEL -------------------------------------------------------------------------------
# Debian's binary moves out of sight, named httpd (ps, pidof), and /usr/sbin/httpd (a wrapper giving it
# RHEL's paths) is the only way in, as on RHEL.
systemctl disable apache2.service apache-htcacheclean.service >/dev/null 2>&1 || true
mv /usr/sbin/apache2 /usr/lib/isa-lab/httpd
rm -f /usr/sbin/apachectl /usr/sbin/apache2ctl /usr/sbin/a2enmod /usr/sbin/a2dismod /usr/sbin/a2ensite \
  /usr/sbin/a2dissite /usr/sbin/a2enconf /usr/sbin/a2disconf /usr/sbin/a2query
rm -f /usr/lib/systemd/system/apache2.service /usr/lib/systemd/system/apache2@.service \
  /usr/lib/systemd/system/apache-htcacheclean.service /usr/lib/systemd/system/apache-htcacheclean@.service
rm -rf /etc/apache2 /var/log/apache2 /var/www/html/index.html /etc/init.d/apache2 \
  /etc/init.d/apache-htcacheclean /etc/logrotate.d/apache2
install -m 755 /usr/lib/isa-lab/wrappers/httpd /usr/sbin/httpd
install -m 755 /usr/lib/isa-lab/wrappers/apachectl /usr/sbin/apachectl
# RHEL's user and group (uid/gid 48) and folders; /etc/httpd/{modules,logs,run} are links, as on RHEL.
groupadd -r -g 48 apache
useradd -r -u 48 -g apache -d /usr/share/httpd -s /sbin/nologin -c "Apache" apache
mkdir -p /usr/lib64/httpd /usr/share/httpd /var/log/httpd /var/www/cgi-bin
chmod 700 /var/log/httpd
ln -sfn /usr/lib/apache2/modules /usr/lib64/httpd/modules
ln -sfn ../../usr/lib64/httpd/modules /etc/httpd/modules
ln -sfn ../../var/log/httpd /etc/httpd/logs
ln -sfn /run/httpd /etc/httpd/run
mkdir -p /run/httpd
systemctl enable httpd.service >/dev/null 2>&1
# The layout must hold together: a syntax check and mod_status loaded (DUMP_MODULES through httpd
# itself; the wrapper refuses it, as RHEL 9's does).
/usr/sbin/httpd -t
/usr/sbin/httpd -t -D DUMP_MODULES | grep -qx ' status_module (shared)'
if /usr/sbin/apachectl -t -D DUMP_MODULES >/dev/null 2>&1; then echo "apachectl must refuse 2 arguments" >&2; exit 1; fi
rm -rf /run/httpd

# --- firewalld (nftables backend, Debian's default as RHEL 9's) ---------------------------------------
grep -qx 'FirewallBackend=nftables' /etc/firewalld/firewalld.conf
# A web server's firewall: ssh plus http/https open in the default zone, as an operator would have it.
firewall-offline-cmd --add-service=http --add-service=https >/dev/null
systemctl enable firewalld.service >/dev/null 2>&1
systemctl disable nftables.service >/dev/null 2>&1 || true

# --- Docker Engine (docker-ce's part; Debian's docker.io) -----------------------------------------------
systemctl enable docker.service containerd.service >/dev/null 2>&1

# --- rpm database ---------------------------------------------------------------------------------------
# "NAME NAME-VERSION-RELEASE.ARCH" per package RHEL would have, with the upstream version of the Debian
# package playing its part. podman, buildah and runc are absent (docker-ce's containerd.io brings runc).
up() {
  local v
  v=$(dpkg-query -W -f '${Version}' "$1" | sed -E 's/^[0-9]+://; s/[-+~].*$//')
  [ -n "$v" ] || { echo "no version for Debian package $1" >&2; exit 1; }
  echo "$v"
}
arch=x86_64
[ "$(dpkg --print-architecture)" = arm64 ] && arch=aarch64
mkdir -p /var/lib/isa-lab
{
  while read -r name deb a; do
    [ "$a" = any ] && a=$arch
    v=$(up "$deb")
    echo "$name $name-$v-1.el9.$a"
  done <<'PKGS'
bash bash any
coreutils coreutils any
curl curl any
dbus dbus any
systemd systemd any
openssh-server openssh-server any
sudo sudo any
python3 python3 any
iptables-nft iptables any
nftables nftables any
firewalld firewalld noarch
python3-firewall python3-firewall noarch
httpd apache2 any
httpd-core apache2-bin any
httpd-filesystem apache2-data noarch
httpd-tools apache2-utils any
docker-ce docker.io any
docker-ce-cli docker.io any
containerd.io containerd any
PKGS
} > /var/lib/isa-lab/rpmdb
install -m 755 /usr/lib/isa-lab/wrappers/rpm /usr/bin/rpm
rpm -q httpd docker-ce firewalld >/dev/null
if rpm -q podman >/dev/null; then echo "podman must not be in the rpm database" >&2; exit 1; fi

# --- like the Debian host: units that make no sense in a container, ssh, keys, machine-id ------------
systemctl mask \
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  getty@tty1.service console-getty.service serial-getty@.service getty.target \
  systemd-remount-fs.service systemd-modules-load.service systemd-firstboot.service \
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  >/dev/null 2>&1
systemctl enable ssh.service >/dev/null 2>&1
systemctl set-default multi-user.target >/dev/null 2>&1

# Host keys are injected per host at container creation; the image carries none.
rm -f /etc/ssh/ssh_host_*
mkdir -p /root/.ssh && chmod 700 /root/.ssh

# A fresh machine-id per boot, like a cloned VM template.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /tmp/* /var/tmp/*
