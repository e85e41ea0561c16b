/**
 * The names and paths we own on a host, defined once: every layer (the probe, the steps, status,
 * uninstall, the lock) reads them from here, so none can disagree with another.
 */

/** Root-only folder of the host lock: nobody else can create, hold or replace anything in it. */
export const LOCK_DIR = "/run/isa-monitoring";
/** The lock file; its content is the holder's line. */
export const LOCK_FILE = `${LOCK_DIR}/lock`;

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
