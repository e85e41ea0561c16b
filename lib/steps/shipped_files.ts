/**
 * The files the project ships under files/ (templates and alerting rules), read from the checkout
 * here so that render/ stays pure: the steps read them and pass their text to the renderers.
 */

const FILES = new URL("../../files/", import.meta.url);

/** The template shipped in files/prometheus/prometheus.yml. */
export function prometheusTemplate(): string {
  return Deno.readTextFileSync(new URL("prometheus/prometheus.yml", FILES));
}

/** Traefik's static configuration template, files/traefik/traefik.yml. */
export function traefikStaticTemplate(): string {
  return Deno.readTextFileSync(new URL("traefik/traefik.yml", FILES));
}

/** Traefik's dynamic configuration template, files/traefik/dynamic.yml. */
export function traefikDynamicTemplate(): string {
  return Deno.readTextFileSync(new URL("traefik/dynamic.yml", FILES));
}

/** The alerting rules shipped in files/prometheus/alerts.yml, or null when the project has none. */
export function shippedAlerts(): string | null {
  try {
    return Deno.readTextFileSync(new URL("prometheus/alerts.yml", FILES));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
