/** Which `install_dir` values are safe: its own file, so the schema can check it without the paths. */

// `uninstall --purge` removes install_dir whole: none of these may ever be it. Exact matches; the
// folders under VOLATILE are refused whole (kernel filesystems, tmpfs, world-writable /tmp).
const SYSTEM_DIRS = new Set(
  ("/bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root /run /sbin /srv " +
    "/sys /tmp /usr /var /usr/bin /usr/include /usr/lib /usr/lib64 /usr/libexec /usr/local /usr/sbin " +
    "/usr/share /usr/src /usr/local/bin /usr/local/lib /usr/local/sbin /usr/local/share /var/cache " +
    "/var/lib /var/lib/docker /var/lock /var/log /var/mail /var/opt /var/run /var/spool /var/tmp " +
    "/var/www /etc/apache2 /etc/httpd /etc/ssh /etc/systemd")
    .split(" "),
);
const VOLATILE = ["/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp"];
/** The only folders install_dir may be under (the FHS's places for a site's services and add-ons). */
export const ALLOWED_PARENTS = ["/srv/", "/opt/"];

/**
 * Why `install_dir` is unsafe, or undefined: it must be absolute and normalised (no `.`, `..`, `//`,
 * trailing `/`), neither `/`, a system folder, a user's home nor under a volatile or world-writable
 * folder, and under /srv/ or /opt/.
 */
export function installDirProblem(dir: string): string | undefined {
  if (!dir.startsWith("/")) return "is not an absolute path";
  if (dir === "/") return "is the root folder: uninstall --purge would remove everything";
  const parts = dir.slice(1).split("/");
  if (parts.some((c) => c === "" || c === "." || c === "..")) {
    return "is not a normalised path (no '.', '..', '//' or trailing '/')";
  }
  if (SYSTEM_DIRS.has(dir)) return "is a system folder: uninstall --purge would remove it";
  if (parts[0] === "home" && parts.length === 2) return "is a user's home folder";
  const under = VOLATILE.find((v) => dir.startsWith(v + "/"));
  if (under) return `is under ${under} (volatile or world-writable): pick a folder such as /srv/isa`;
  // An allow-list on top of the deny-lists above: no list of system folders is ever complete (/etc/pki,
  // /usr/lib64/x), while /srv and /opt hold only what was put there for a service.
  if (!ALLOWED_PARENTS.some((p) => dir.startsWith(p))) {
    return `is not under ${ALLOWED_PARENTS.join(" or ")}: pick a folder such as /srv/isa`;
  }
  return undefined;
}
