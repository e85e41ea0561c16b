/**
 * The names and paths we own on a host, defined once: every layer (the probe, the steps, status,
 * uninstall, the lock) reads them from here, so none can disagree with another.
 */

/** Root-only folder of the host lock: nobody else can create, hold or replace anything in it. */
export const LOCK_DIR = "/run/isa-monitoring";
/** The lock file; its content is the holder's line. */
export const LOCK_FILE = `${LOCK_DIR}/lock`;

/**
 * Our marker file, directly in install_dir: the deploy writes it into a folder it created or that held
 * only our files; `uninstall --purge` and the SELinux relabel act only on a folder holding it.
 */
export const INSTALL_MARKER = ".isa-monitoring";

/** Name of the system user (and its private group) Prometheus and Traefik run as. */
export const SERVICE_ACCOUNT = "isa-monitoring";

/** Our Apache configuration's name, as `a2enconf` and `a2disconf` take it. */
export const APACHE_CONF_NAME = "EPFL_isa";
/** Our Apache configuration file's name (in conf-available/ on Debian, conf.d/ on RHEL). */
export const APACHE_CONF_FILE = `${APACHE_CONF_NAME}.conf`;

/** Label holding the spec hash of a container we created. */
export const SPEC_HASH_LABEL = "ch.epfl.isa.spec-hash";
/** Label marking everything isa-monitoring created (containers, networks), for `status` and `uninstall`. */
export const MANAGED_LABEL = "ch.epfl.isa.managed";

// The firewall step's table, file and unit (render/firewall.ts), as uninstall finds them.

/** Our nftables table (family inet: IPv4 and IPv6), the only one we load or delete. */
export const TABLE = "isa_monitoring";

/** The file `nft -f` loads: our whole table, replaced in one transaction. */
export const RULESET_PATH = "/etc/isa-monitoring-firewall.nft";

/** Unit that loads the table at boot and after Docker, firewalld and nftables (re)start. */
export const UNIT_NAME = "isa-monitoring-firewall.service";

/** Full path of the unit file. */
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

// What earlier versions installed, named so that the firewall step and uninstall remove it.

/** The former iptables chain, jumped to from DOCKER-USER. */
export const LEGACY_CHAIN = "ISA-MONITORING";

/** The former script that applied the chain (the unit ran it). */
export const LEGACY_SCRIPT_PATH = "/usr/local/sbin/isa-monitoring-firewall";

/** The former watcher of firewalld's Reloaded signal. */
export const LEGACY_WATCH_SCRIPT_PATH = "/usr/local/sbin/isa-monitoring-firewalld-watch";

/** The former watcher's unit. */
export const LEGACY_WATCH_UNIT_NAME = "isa-monitoring-firewalld-watch.service";

/** Full path of the former watcher's unit file. */
export const LEGACY_WATCH_UNIT_PATH = `/etc/systemd/system/${LEGACY_WATCH_UNIT_NAME}`;

/** Our folder under /var/cache on a host: only the image archives' folder below it, made by the first upload. */
export const CACHE_ROOT = "/var/cache/isa-monitoring";

/**
 * Host-side folder (root only) where pushed image archives wait, while the engine installs, for it to
 * load them; each file is named by its sha256 and removed once loaded.
 */
export const IMAGE_CACHE_DIR = `${CACHE_ROOT}/images`;
