/**
 * Every inventory variable, declared once: the validation (with file:line:column errors) and, through
 * `Infer` in vars.ts, the `Vars` type. To add a variable: one entry in `varsSchema.fields` (with its
 * JSDoc line) and its default in inventory/defaults.yml. See schema.ts for the entry format.
 */
import type { Schema } from "./schema.ts";
import { installDirProblem } from "./install_dir.ts";

const limits = {
  kind: "object",
  fields: { memory_mb: { kind: "int", min: 16, max: 65536 }, cpus: { kind: "number", min: 0.01, max: 64 } },
} as const satisfies Schema;

/** A proxy's URL: host and port only (no user or password: it lands in a drop-in and in --diff). */
const proxyUrl = {
  kind: "string",
  pattern: /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/,
  hint: "a proxy URL such as http://proxy.example:3128",
  url: true,
} as const satisfies Schema;

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** An IPv4 network in CIDR form (a bare address means /32): what an nft set of ipv4_addr and Docker's IPAM take. */
const cidr = {
  kind: "string",
  pattern: new RegExp(`^(${OCTET}\\.){3}${OCTET}(\\/(3[0-2]|[12]?\\d))?$`),
  hint: "an IPv4 CIDR such as 192.0.2.0/24",
} as const satisfies Schema;

const image = {
  kind: "string",
  // A pinned reference: a tag other than `latest`, or a digest.
  pattern: /^(?!.*:latest$)[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
  hint: "a pinned image reference (name:tag, not latest)",
} as const satisfies Schema;

/** A URL credentials are sent to: https only (see rules.ts for the lab's opt-out). */
const credentialUrl = {
  kind: "string",
  pattern: /^https?:\/\/\S+$/,
  hint: "an https:// URL",
  https: true,
  url: true,
} as const satisfies Schema;

/** Schema of every variable an inventory may set (in defaults, vars, group or host vars). */
export const varsSchema = {
  kind: "object",
  fields: {
    /** Root of everything we write on the host (configs and data); `uninstall --purge` removes it. */
    install_dir: {
      kind: "string",
      pattern: /^\/[A-Za-z0-9._/-]*$/,
      hint: "an absolute path",
      check: installDirProblem,
    },
    /** `traefik` (HTTPS and basic auth by Traefik) or `native` (Prometheus serves HTTPS itself). */
    frontend: { kind: "string", enum: ["traefik", "native"] },
    /** Whether the dashboard port (8080) is published and opened in the firewall; never in prod. */
    dashboard: { kind: "boolean" },
    /** `pull` from the registry on the host, or `push` from the controller's Docker engine over SSH. */
    image_delivery: { kind: "string", enum: ["pull", "push"] },
    /** Pinned image references. */
    images: {
      kind: "object",
      fields: { apache_exporter: image, prometheus: image, traefik: image },
    },
    /** Host ports. */
    ports: {
      kind: "object",
      fields: { https: { kind: "int", min: 1, max: 65535 }, dashboard: { kind: "int", min: 1, max: 65535 } },
    },
    /** Name on the host's certificate; defaults to the SSH address. */
    fqdn: { kind: "string", pattern: /^[A-Za-z0-9.-]*$/, hint: "a DNS name" },
    /** Address clients (verify-metrics, Grafana) use for the HTTPS endpoint; empty means `fqdn`. Also on the certificate. */
    public_address: { kind: "string", pattern: /^[A-Za-z0-9.:-]*$/, hint: "a DNS name or IP address" },
    /** Prometheus retention by time. */
    retention_time: { kind: "string", pattern: /^\d+[smhdwy]$/, hint: "a duration such as 15d" },
    /** Prometheus retention by size. */
    retention_size: { kind: "string", pattern: /^\d+(B|KB|MB|GB|TB)$/, hint: "a size such as 2GB" },
    /** Prometheus scrape interval. */
    scrape_interval: { kind: "string", pattern: /^\d+[smh]$/, hint: "a duration such as 15s" },
    /** Name of the Docker network that holds our containers. */
    docker_network: {
      kind: "string",
      pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
      hint: "a Docker network name",
    },
    /**
     * Fixed IPv4 subnet of our Docker network (created with it); null lets Docker choose. Apache's
     * /server-status allows this subnet (else the one Docker gave the network) and localhost only.
     */
    docker_subnet: { kind: "nullable", of: cidr },
    /** IPv4 CIDRs allowed to reach the HTTPS port; empty allows every source. Enforced in our nftables table (render/firewall.ts). */
    allowed_sources: { kind: "list", of: cidr },
    /** Resource limits per container. */
    limits: { kind: "object", fields: { apache_exporter: limits, prometheus: limits, traefik: limits } },
    /** Optional central store that every host's Prometheus writes to. */
    remote_write: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          url: credentialUrl,
          /** How to authenticate; the credentials come from the secrets (`remote_write`). */
          auth: { kind: "string", enum: ["none", "basic", "bearer"] },
          /** URL Grafana queries for the central store (Prometheus API), when it differs from `url`. */
          query_url: credentialUrl,
        },
        required: ["url", "auth"],
      },
    },
    /** Optional hosted Grafana to publish data sources and the dashboard to. */
    grafana: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          url: credentialUrl,
          org: { kind: "string" },
          dashboard_uid: { kind: "string", pattern: /^[A-Za-z0-9_-]{1,40}$/, hint: "a Grafana uid" },
        },
      },
    },
    /** Optional Alertmanagers every host's Prometheus sends its alerts to. */
    alerting: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          /** Alertmanager base URLs (`https://am1.example.org:9093`, a path prefix allowed). */
          alertmanagers: {
            kind: "list",
            min: 1,
            of: {
              ...credentialUrl,
              pattern: /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
              hint: "an https:// URL (no query or fragment)",
            },
          },
          /** How to authenticate; the credentials come from the secrets (`alerting`). */
          auth: { kind: "string", enum: ["none", "basic", "bearer"] },
          /**
           * PEM file on the controller with the CA(s) of the Alertmanagers' certificates, when not a public
           * CA; relative to the inventory file's folder. Deployed next to prometheus.yml.
           */
          ca_file: { kind: "string", pattern: /^\S+$/, hint: "a path to a PEM file" },
        },
        required: ["alertmanagers", "auth"],
      },
    },
    /**
     * Caps the `for:` of every alert in alerts.yml (e.g. `30s`); null keeps the documented durations.
     * For the lab, whose tests cannot wait five minutes; production leaves it null.
     */
    alert_for_max: {
      kind: "nullable",
      of: { kind: "string", pattern: /^\d+[smh]$/, hint: "a duration such as 30s" },
    },
    /**
     * LAB ONLY: lets the credential URLs above be `http://`, so tokens and passwords travel in clear.
     * Refused on a prod deployment.
     */
    insecure_http_for_lab: { kind: "boolean" },
    /**
     * RHEL family: where docker-ce comes from when the host's own repositories lack it: "" Docker's
     * repository, a mirror's URL, or `none` (the host's own repositories only, e.g. a Satellite).
     */
    docker_repo: {
      kind: "string",
      // https only: the packages' signatures are checked against Docker's key, but the repository's
      // metadata (which versions exist) is only as trustworthy as the connection that brought it.
      pattern: /^(|none|https:\/\/[^\s'"]+)$/,
      hint:
        "empty (Docker's repository), none (the host's own repositories), or the https:// URL of a mirror",
      url: true,
    },
    /** RHEL family: let dnf replace podman, buildah and runc, which conflict with Docker's containerd.io. */
    docker_allow_erasing: { kind: "boolean" },
    /** Deploy on a major release newer than those checked (RHEL 11, Debian 14); false refuses it at facts. */
    allow_untested_system: { kind: "boolean" },
    /** HTTP proxy for the package manager (Docker's install) and for dockerd's image pulls; null: direct. */
    proxy: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          // No credentials: the URL lands in a systemd drop-in and in --diff output.
          http: proxyUrl,
          https: proxyUrl,
          no_proxy: {
            kind: "string",
            pattern: /^[A-Za-z0-9.,:*\/_-]*$/,
            hint: "hosts, .domains and CIDRs, comma-separated",
          },
        },
        required: [],
      },
    },
  },
} as const satisfies Schema;

const hostName = {
  kind: "string",
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  hint: "a host name (letters, digits, . _ -, not starting with - or .)",
} as const satisfies Schema;

/** Schema of an inventory file. */
export const inventorySchema = {
  kind: "object",
  required: ["deployment", "hosts"],
  fields: {
    deployment: { kind: "string", enum: ["qual", "prod"] },
    /** Rolling deploys: hosts per batch (0 = all at once); unset means 1 in production, all in quality. */
    serial: { kind: "int", min: 0, max: 100000 },
    ssh_config: { kind: "string" },
    secrets: {
      kind: "object",
      fields: { file: { kind: "string" }, command: { kind: "string" } },
      required: [],
    },
    vars: { ...varsSchema, partial: true },
    hosts: {
      kind: "map",
      key: hostName,
      of: {
        kind: "nullable",
        of: {
          kind: "object",
          fields: {
            // None of these may start with `-`: ssh would read it as an option.
            address: {
              kind: "string",
              pattern: /^(?!-)[A-Za-z0-9._:%-]+$/,
              hint: "a host name or address (not starting with -)",
            },
            user: {
              kind: "string",
              pattern: /^[a-z_][a-z0-9_.-]*$/,
              hint: "a user name (not starting with -)",
            },
            port: { kind: "int", min: 1, max: 65535 },
            jump: {
              kind: "string",
              pattern: /^(?![-,@])(?!.*[,@]-)[A-Za-z0-9@._:%,-]+$/,
              hint: "a ProxyJump value ([user@]host[:port],...; no part starting with -)",
            },
            vars: { ...varsSchema, partial: true },
          },
          required: [],
        },
      },
    },
    groups: {
      kind: "map",
      key: hostName,
      of: {
        kind: "object",
        required: ["hosts"],
        fields: { hosts: { kind: "list", of: hostName }, vars: { ...varsSchema, partial: true } },
      },
    },
  },
} as const satisfies Schema;
