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

// The firewall step's chain, script and units (render/firewall.ts, render/firewalld_watch.ts), as uninstall finds them.

/** Our chain; DOCKER-USER jumps to it first. We never touch any other rule. */
export const CHAIN = "ISA-MONITORING";

/** Script that (re)applies the chain; run by the step and by the unit at every Docker start. */
export const SCRIPT_PATH = "/usr/local/sbin/isa-monitoring-firewall";

/** Unit that makes the rules survive reboots and Docker restarts. */
export const UNIT_NAME = "isa-monitoring-firewall.service";

/** Full path of the unit file. */
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

/** Script that waits for firewalld's Reloaded signals and re-applies our rules. */
export const WATCH_SCRIPT_PATH = "/usr/local/sbin/isa-monitoring-firewalld-watch";

/** Unit running the watcher while firewalld runs. */
export const WATCH_UNIT_NAME = "isa-monitoring-firewalld-watch.service";

/** Full path of the watcher's unit file. */
export const WATCH_UNIT_PATH = `/etc/systemd/system/${WATCH_UNIT_NAME}`;
