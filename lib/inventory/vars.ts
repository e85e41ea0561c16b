/** Settings of one host after merging defaults, inventory, group and host vars. */
export interface Vars {
  /** Root of everything we write on the host (configs and data). */
  install_dir: string;
  /** `traefik` (HTTPS and basic auth by Traefik) or `native` (Prometheus serves HTTPS itself). */
  frontend: "traefik" | "native";
  /** Whether the dashboard port (8080) is published and opened in the firewall. */
  dashboard: boolean;
  /** `pull` from the registry on the host, or `push` from the controller's Docker engine over SSH. */
  image_delivery: "pull" | "push";
  /** Pinned image references. */
  images: { apache_exporter: string; prometheus: string; traefik: string };
  /** Host ports. */
  ports: { https: number; dashboard: number };
  /** Name on the host's certificate; defaults to the SSH address. */
  fqdn: string;
  /** Address clients (verify-metrics, Grafana) use for the HTTPS endpoint; empty means `fqdn`. Also on the certificate. */
  public_address: string;
  /** Prometheus retention by time and size. */
  retention_time: string;
  retention_size: string;
  /** Prometheus scrape interval. */
  scrape_interval: string;
  /** Name of the Docker network that holds our containers. */
  docker_network: string;
  /**
   * Fixed IPv4 subnet of our Docker network (created with it); null lets Docker choose. Apache's
   * /server-status allows this subnet (else the one Docker gave the network) and localhost only.
   */
  docker_subnet: string | null;
  /** IPv4 CIDRs allowed to reach the HTTPS port; empty allows every source. Enforced in our iptables chain. */
  allowed_sources: string[];
  /** Resource limits per container. */
  limits: {
    apache_exporter: ContainerLimits;
    prometheus: ContainerLimits;
    traefik: ContainerLimits;
  };
  /** Optional central store that every host's Prometheus writes to. */
  remote_write: RemoteWrite | null;
  /** Optional hosted Grafana to publish data sources and the dashboard to. */
  grafana: GrafanaTarget | null;
}

/** Memory in MiB and CPU share of one container. */
export interface ContainerLimits {
  memory_mb: number;
  cpus: number;
}

/** A Prometheus-compatible remote-write receiver. */
export interface RemoteWrite {
  url: string;
  /** How to authenticate; the credentials come from the secrets (`remote_write`). */
  auth: "none" | "basic" | "bearer";
  /** URL Grafana queries for the central store (Prometheus API), when it differs from `url`. */
  query_url?: string;
}

/** The hosted Grafana. */
export interface GrafanaTarget {
  url: string;
  org: string;
  dashboard_uid: string;
}
