import type { Schema } from "./schema.ts";

const limits: Schema = {
  kind: "object",
  fields: { memory_mb: { kind: "int", min: 16, max: 65536 }, cpus: { kind: "number", min: 0.01, max: 64 } },
};

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** An IPv4 network in CIDR form (a bare address means /32): what iptables' -s and Docker's IPAM take. */
const cidr: Schema = {
  kind: "string",
  pattern: new RegExp(`^(${OCTET}\\.){3}${OCTET}(\\/(3[0-2]|[12]?\\d))?$`),
  hint: "an IPv4 CIDR such as 192.0.2.0/24",
};

const image: Schema = {
  kind: "string",
  // A pinned reference: a tag other than `latest`, or a digest.
  pattern: /^(?!.*:latest$)[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
  hint: "a pinned image reference (name:tag, not latest)",
};

/** Schema of every variable an inventory may set (in defaults, vars, group or host vars). */
export const varsSchema: Schema & { kind: "object" } = {
  kind: "object",
  fields: {
    install_dir: { kind: "string", pattern: /^\/[A-Za-z0-9._/-]+$/, hint: "an absolute path" },
    frontend: { kind: "string", enum: ["traefik", "native"] },
    dashboard: { kind: "boolean" },
    image_delivery: { kind: "string", enum: ["pull", "push"] },
    images: {
      kind: "object",
      fields: { apache_exporter: image, prometheus: image, traefik: image },
    },
    ports: {
      kind: "object",
      fields: { https: { kind: "int", min: 1, max: 65535 }, dashboard: { kind: "int", min: 1, max: 65535 } },
    },
    fqdn: { kind: "string", pattern: /^[A-Za-z0-9.-]*$/, hint: "a DNS name" },
    public_address: { kind: "string", pattern: /^[A-Za-z0-9.:-]*$/, hint: "a DNS name or IP address" },
    retention_time: { kind: "string", pattern: /^\d+[smhdwy]$/, hint: "a duration such as 15d" },
    retention_size: { kind: "string", pattern: /^\d+(B|KB|MB|GB|TB)$/, hint: "a size such as 2GB" },
    scrape_interval: { kind: "string", pattern: /^\d+[smh]$/, hint: "a duration such as 15s" },
    docker_network: {
      kind: "string",
      pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
      hint: "a Docker network name",
    },
    docker_subnet: { kind: "nullable", of: cidr },
    allowed_sources: { kind: "list", of: cidr },
    limits: { kind: "object", fields: { apache_exporter: limits, prometheus: limits, traefik: limits } },
    remote_write: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          url: { kind: "string", pattern: /^https?:\/\/\S+$/, hint: "an http(s) URL" },
          auth: { kind: "string", enum: ["none", "basic", "bearer"] },
          query_url: { kind: "string", pattern: /^https?:\/\/\S+$/, hint: "an http(s) URL" },
        },
        required: ["url", "auth"],
      },
    },
    grafana: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          url: { kind: "string", pattern: /^https?:\/\/\S+$/, hint: "an http(s) URL" },
          org: { kind: "string" },
          dashboard_uid: { kind: "string", pattern: /^[A-Za-z0-9_-]{1,40}$/, hint: "a Grafana uid" },
        },
        required: ["url", "org", "dashboard_uid"],
      },
    },
  },
};

const hostName: Schema = { kind: "string", pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, hint: "a host name" };

/** Schema of an inventory file. */
export const inventorySchema: Schema & { kind: "object" } = {
  kind: "object",
  required: ["deployment", "hosts"],
  fields: {
    deployment: { kind: "string", enum: ["qual", "prod"] },
    ssh_config: { kind: "string" },
    secrets: {
      kind: "object",
      fields: { file: { kind: "string" }, command: { kind: "string" } },
    },
    vars: varsSchema,
    hosts: {
      kind: "map",
      of: {
        kind: "nullable",
        of: {
          kind: "object",
          fields: {
            address: { kind: "string", pattern: /^[A-Za-z0-9._:%-]+$/, hint: "a host name or address" },
            user: { kind: "string", pattern: /^[a-z_][a-z0-9_.-]*$/, hint: "a user name" },
            port: { kind: "int", min: 1, max: 65535 },
            jump: { kind: "string", pattern: /^[A-Za-z0-9@._:%,-]+$/, hint: "a ProxyJump value" },
            vars: varsSchema,
          },
        },
      },
    },
    groups: {
      kind: "map",
      of: {
        kind: "object",
        required: ["hosts"],
        fields: { hosts: { kind: "list", of: hostName }, vars: varsSchema },
      },
    },
  },
};
