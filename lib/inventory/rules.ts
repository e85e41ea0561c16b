/**
 * Rules between variables, checked per host once its vars are merged: what one variable's schema
 * cannot see (the deployment, another variable, where the value came from).
 */
import { UsageError } from "../base/errors.ts";
import type { Schema } from "./schema.ts";
import type { Vars } from "./vars.ts";
import { varsSchema } from "./vars_schema.ts";

/** A path into the vars: field names and list indexes. */
export type VarPath = (string | number)[];

/** Shows a path as in error messages: `grafana.url`, `webhooks[0].url`. */
export function showPath(path: VarPath): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Every value of a string field marked `https: true` (credential URLs), with its path. */
export function credentialUrls(
  value: unknown,
  schema: Schema = varsSchema,
  path: VarPath = [],
): { path: VarPath; url: string }[] {
  if (value === null || value === undefined) return [];
  switch (schema.kind) {
    case "string":
      return schema.https && typeof value === "string" ? [{ path, url: value }] : [];
    case "nullable":
      return credentialUrls(value, schema.of, path);
    case "list":
      return Array.isArray(value) ? value.flatMap((v, i) => credentialUrls(v, schema.of, [...path, i])) : [];
    case "map":
      return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
        credentialUrls(v, schema.of, [...path, k])
      );
    case "object":
      return Object.entries(schema.fields).flatMap(([k, f]) =>
        credentialUrls((value as Record<string, unknown>)[k], f, [...path, k])
      );
    default:
      return [];
  }
}

/**
 * Checks the rules between one host's merged vars; `where` gives the `file:line:col` a value was set
 * at. Throws a UsageError naming it.
 */
export function checkHostVars(
  host: string,
  deployment: "qual" | "prod",
  vars: Vars,
  where: (path: VarPath) => string,
): void {
  const fail = (path: VarPath, message: string) =>
    new UsageError(`${where(path)}: host '${host}': ${message}`);
  // Production keeps 8080 closed (the firewall step follows the deployment); asking for the
  // dashboard there is a contradiction, not a choice to make silently.
  if (deployment === "prod" && vars.dashboard) {
    throw fail(
      ["dashboard"],
      "dashboard is true on a prod deployment, where 8080 stays closed; set it to false",
    );
  }
  for (const { path, url } of credentialUrls(vars)) {
    if (url.startsWith("https://")) continue;
    const clear = `${
      showPath(path)
    } '${url}' is not https://: the credentials sent to it would travel in clear`;
    // The lab's opt-in never opens plain http on production, even in a lab that plays prod.
    if (deployment === "prod") throw fail(path, `${clear} (insecure_http_for_lab does not apply to prod)`);
    if (!vars.insecure_http_for_lab) {
      throw fail(path, `${clear} (for a lab receiver only: insecure_http_for_lab: true)`);
    }
  }
}
