import type { Infer } from "./schema.ts";
import type { varsSchema } from "./vars_schema.ts";

/**
 * Settings of one host after merging defaults, inventory, group and host vars: inferred from
 * `varsSchema`, the one declaration of the variables (see vars_schema.ts for each one's meaning).
 */
export type Vars = Infer<typeof varsSchema>;

/** Memory in MiB and CPU share of one container. */
export type ContainerLimits = Vars["limits"]["prometheus"];

/** A Prometheus-compatible remote-write receiver. */
export type RemoteWrite = NonNullable<Vars["remote_write"]>;

/** Where alerts go: one or more Alertmanagers sharing one way to authenticate. */
export type Alerting = NonNullable<Vars["alerting"]>;

/** The hosted Grafana. */
export type GrafanaTarget = NonNullable<Vars["grafana"]>;

/** An outgoing HTTP proxy, as the `http_proxy`, `https_proxy` and `no_proxy` variables give it. */
export type Proxy = NonNullable<Vars["proxy"]>;
