/** Renders Traefik's static (traefik.yml) and dynamic (file provider) configuration for one host. */
import { IN_CONTAINER } from "../inventory/paths.ts";
import { parseTemplate, printTemplate } from "./yaml_template.ts";

/** Container port of the HTTPS entry point (published on `vars.ports.https`). */
export const TRAEFIK_HTTPS_PORT = 8443;
/** Container port of the dashboard entry point (published on `vars.ports.dashboard`). */
export const TRAEFIK_DASHBOARD_PORT = 8080;

/** Inputs of the Traefik files. */
export interface TraefikConfigInput {
  /** Publish the dashboard entry point and router (quality). */
  dashboard: boolean;
  /** Prometheus as seen from Traefik on the Docker network. */
  prometheusUrl?: string;
}

/** Static configuration (traefik.yml) from `template` (files/traefik/traefik.yml, read by the caller). */
export function renderTraefikStatic(
  input: TraefikConfigInput,
  template: string,
): string {
  const doc = parseTemplate("traefik.yml", template);
  doc.setIn(["entryPoints", "websecure", "address"], `:${TRAEFIK_HTTPS_PORT}`);
  doc.setIn(["providers", "file", "directory"], `${IN_CONTAINER.traefikDir}/dynamic`);
  if (input.dashboard) {
    doc.setIn(["entryPoints", "traefik", "address"], `:${TRAEFIK_DASHBOARD_PORT}`);
  } else {
    // No dashboard: neither the entry point nor the API exist, so nothing listens on 8080.
    doc.deleteIn(["entryPoints", "traefik"]);
    doc.delete("api");
  }
  return printTemplate(doc);
}

/** Dynamic configuration (dynamic/isa.yml) from `template` (files/traefik/dynamic.yml, read by the caller). */
export function renderTraefikDynamic(
  input: TraefikConfigInput,
  template: string,
): string {
  const doc = parseTemplate("dynamic.yml", template);
  const dir = IN_CONTAINER.traefikDir;
  doc.setIn(["http", "middlewares", "isa-auth", "basicAuth", "usersFile"], `${dir}/htpasswd`);
  doc.setIn(
    ["http", "services", "prometheus", "loadBalancer", "servers", 0, "url"],
    input.prometheusUrl ?? "http://prometheus:9090",
  );
  doc.setIn(["tls", "stores", "default", "defaultCertificate", "certFile"], `${dir}/ssl/cert.pem`);
  doc.setIn(["tls", "stores", "default", "defaultCertificate", "keyFile"], `${dir}/ssl/key.pem`);
  if (!input.dashboard) doc.deleteIn(["http", "routers", "dashboard"]);
  return printTemplate(doc);
}
