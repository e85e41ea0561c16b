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
  selinux: SelinuxFacts;
  /** Installed packages that conflict with Docker's containerd.io (`rpm -q podman buildah runc`). */
  containerTools: string[];
  /** Files we manage for the Docker engine's installation; null when absent. */
  dockerFiles: {
    /** systemd drop-in giving dockerd the proxy (`/etc/systemd/system/docker.service.d/http-proxy.conf`). */
    proxyDropIn: string | null;
    /** Our Docker CE repository file (`/etc/yum.repos.d/isa-docker-ce.repo`). */
    repoFile: string | null;
  };
  /** The system user our containers run as (`getent passwd isa-monitoring`); null when absent. */
  serviceAccount: ServiceAccountFacts | null;
}

/** The dedicated system user, as the host's passwd database has it. */
export interface ServiceAccountFacts {
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** SELinux as it bears on our containers reading the install folder. */
export interface SelinuxFacts {
  /** `getenforce`; `absent` when the tools are not installed (Debian, Ubuntu). */
  mode: "enforcing" | "permissive" | "disabled" | "absent";
  /** Docker labels containers (`selinux-enabled` in daemon.json, or `name=selinux` in the engine's SecurityOptions). */
  dockerLabels: boolean;
  /** Label of the install folder now (`stat -c %C`); null when the folder is absent. */
  installDirLabel: string | null;
  /** Label the policy gives the install folder (`matchpathcon -n`), local rules included; null when unknown. */
  installDirDefault: string | null;
}

/** Apache httpd as found on the host. */
export interface ApacheFacts {
  binary: string;
  /**
   * The command that takes httpd's own arguments (`-t`, `-V`, `-t -D DUMP_MODULES`): `/usr/sbin/httpd` on
   * RHEL (its `apachectl` is a wrapper that refuses more than one argument), `apache2ctl` on Debian (it
   * sources /etc/apache2/envvars, without which `apache2` refuses to start).
   */
  ctl: string;
  /** Main configuration file (`-V`'s SERVER_CONFIG_FILE under HTTPD_ROOT). */
  configFile: string;
  /** Every file Apache loads, in order (`-t -D DUMP_INCLUDES`). */
  includes: string[];
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
  /** The configuration test (`<ctl> -t -D DUMP_MODULES`) passes. */
  configOk: boolean;
  /** What the config test printed besides the module list (errors, warnings). */
  configMessage: string;
  /** `file:line:text` of every `<Location /server-status>` in the files Apache loads (`includes`). */
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
