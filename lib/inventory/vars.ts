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
  /**
   * RHEL family: where docker-ce comes from when the host's repositories don't offer it. Empty: Docker's
   * repository for the distribution; a URL: a mirror of it (`.../linux/rhel`, holding `9/x86_64/stable`);
   * `none`: only the host's own repositories (Satellite), never a repository of ours.
   */
  docker_repo: string;
  /** RHEL family: let dnf replace podman, buildah and runc, which conflict with Docker's containerd.io. */
  docker_allow_erasing: boolean;
  /** HTTP proxy for the package manager (Docker's install) and for dockerd's image pulls; null: direct. */
  proxy: Proxy | null;
}

/** An outgoing HTTP proxy, as the `http_proxy`, `https_proxy` and `no_proxy` variables give it. */
export interface Proxy {
  http?: string;
  https?: string;
  /** Comma-separated hosts, domains (`.epfl.ch`) and CIDRs reached directly. */
  no_proxy?: string;
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
