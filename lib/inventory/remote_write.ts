import type { RemoteWrite } from "./vars.ts";

/**
 * URL of the central store's Prometheus query API (Grafana's data source, `top`'s reads): `query_url`,
 * else the write URL without `/api/v1/write`.
 */
export function centralQueryUrl(rw: RemoteWrite): string {
  if (rw.query_url) return rw.query_url.replace(/\/+$/, "");
  const m = rw.url.match(/^(.*)\/api\/v1\/write\/?$/);
  if (!m) {
    throw new Error(
      `remote_write.url ${rw.url} does not end in /api/v1/write: set remote_write.query_url to its query API`,
    );
  }
  return m[1];
}
