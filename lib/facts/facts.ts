/** What the facts step learns about a host in one SSH round trip; later steps read it instead of probing. */
export interface Facts {
  os: {
    id: string;
    idLike: string[];
    versionId: string;
    family: "rhel" | "debian" | "unknown";
    prettyName: string;
  };
  init: "systemd" | "other";
  apache: ApacheFacts | null;
  docker: DockerFacts;
  /** Free disk in MiB under the install path (or its nearest existing parent); NaN when unknown. */
  diskFreeMb: number;
  firewall: {
    iptables: boolean;
    firewalld: boolean;
    nftables: boolean;
    persistence: "netfilter-persistent" | "iptables-services" | "none";
  };
  /** Login user is root (otherwise commands go through sudo). */
  loginUser: string;
}

/** Apache httpd as found on the host. */
export interface ApacheFacts {
  binary: string;
  /** systemd unit: `httpd` or `apache2`. */
  service: string;
  /** Directory where our `EPFL_isa.conf` lives. */
  confDir: string;
  /** Full path of our file. */
  confFile: string;
  /** Debian: conf-available + a2enconf; RHEL: conf.d. */
  layout: "debian" | "rhel";
  version: string;
  mpm: string;
  statusModule: boolean;
  authzCore: boolean;
  extendedStatus: boolean;
  running: boolean;
  /** `apachectl -t` passes. */
  configOk: boolean;
  /** What the config test printed besides the module list (errors, warnings). */
  configMessage: string;
  /** `file:line:text` of every `<Location /server-status>` in the configuration Apache loads. */
  statusLocations: string[];
  /** Content of our EPFL_isa.conf; null when absent (an empty file is ""). */
  ourFile: string | null;
  /** Debian: conf-enabled/EPFL_isa.conf exists. */
  confEnabled: boolean;
  /** Debian: mods-enabled/status.load exists. */
  statusLoadEnabled: boolean;
}

/** The host's Docker engine. */
export interface DockerFacts {
  installed: boolean;
  running: boolean;
  version: string | null;
  /** Gateway of the default bridge (`docker0`), e.g. 172.17.0.1. */
  bridgeGateway: string | null;
  /** CIDRs of all Docker networks (bridge and user-defined). */
  networks: string[];
  /** IPv4 subnets of each bridge network, by name. */
  networkSubnets: Record<string, string[]>;
  /** Names of the bridge networks. */
  networkNames: string[];
  /** /etc/docker/daemon.json; null when absent. */
  daemonJson: string | null;
  /** Installed engine package and version (`docker-ce 27.0.3-1.el9`), null when none. */
  package: string | null;
}
