/**
 * The facts of a host, combined from one module per fact (os.ts, apache.ts, docker.ts, firewall.ts,
 * selinux.ts, disk.ts, account.ts: each its shell section, its parser and its type); probe.ts runs them.
 */
import type { OsFacts } from "./os.ts";
import type { ApacheFacts } from "./apache.ts";
import type { DockerFacts, DockerFiles } from "./docker.ts";
import type { FirewallFacts } from "./firewall.ts";
import type { SelinuxFacts } from "./selinux.ts";
import type { ServiceAccountFacts } from "./account.ts";

/** The per-fact types, from their own modules: this file is their one public face. */
export type {
  ApacheFacts,
  DockerFacts,
  DockerFiles,
  FirewallFacts,
  OsFacts,
  SelinuxFacts,
  ServiceAccountFacts,
};

/** What the facts step learns about a host in one SSH round trip; later steps read it instead of probing. */
export interface Facts {
  os: OsFacts;
  init: "systemd" | "other";
  apache: ApacheFacts | null;
  docker: DockerFacts;
  /** Free disk in MiB under the install path (or its nearest existing parent); NaN when unknown. */
  diskFreeMb: number;
  firewall: FirewallFacts;
  /** Login user is root (otherwise commands go through sudo). */
  loginUser: string;
  selinux: SelinuxFacts;
  /** Installed packages that conflict with Docker's containerd.io (`rpm -q podman buildah runc`). */
  containerTools: string[];
  /** Files we manage for the Docker engine's installation; null when absent. */
  dockerFiles: DockerFiles;
  /** The system user our containers run as (`getent passwd isa-monitoring`); null when absent. */
  serviceAccount: ServiceAccountFacts | null;
}
