import { registerSecret } from "../base/redact.ts";
import { randomBytes } from "node:crypto";
import { certificateNeeds, mountedCertificate } from "./certificate.ts";
import { CONTAINER_NAMES, prometheusSpec } from "../containers/builders.ts";
import { containerNeeds, removeContainerChange } from "../containers/container_change.ts";
import { mergeNeeds } from "../facts/needs.ts";
import { withCopyPaths } from "../containers/previous_files.ts";
import { IN_CONTAINER, inContainer, type InstallPaths, installPaths } from "../inventory/paths.ts";
import { hashCredentials } from "../render/htpasswd.ts";
import { prometheusConfigInput, renderAlerts, renderPrometheusConfig } from "../render/prometheus_config.ts";
import { alertingCaText } from "../inventory/alerting_ca.ts";
import type { Step } from "./step.ts";
import { parseWebConfigUsers, renderWebConfig, SELF_SCRAPE_USER } from "../render/web_config.ts";
import { serviceOwner } from "./service_account.ts";
import { groupOnly } from "../containers/service_account.ts";
import { prometheusTemplate, shippedAlerts } from "./shipped_files.ts";
import { ContainerPlan, dockerFor } from "./container_recipe.ts";
import type { Secrets } from "../inventory/secrets.ts";
import { dirChange } from "../containers/dir_change.ts";
import { promtoolValidator, validatedFileChange } from "../containers/validated_file.ts";

// Files holding secrets belong to the user Prometheus runs as (`serviceOwner`), the others to root.
const SECRET = { mode: 0o600, secret: true } as const;
const PUBLIC = { mode: 0o644, owner: "0:0" } as const;

/**
 * The self-scrape password: the host's, if it is what we make (48 hex digits, 192 random bits), else a
 * new one. A shortened or edited file is replaced, never trusted. Registered for redaction either way.
 */
export function selfScrapePassword(onHost: string | null | undefined): string {
  const pass = onHost && /^[0-9a-f]{48}$/.test(onHost) ? onHost : randomBytes(24).toString("hex");
  // Hidden from every output like the inventory's secrets (a diff, an error quoting the file).
  registerSecret(pass);
  return pass;
}

/**
 * The files we write or remove whose previous content is kept until the new container is ready
 * (every mounted one but the certificate: the previous container, started again, reads the current
 * one). Kept even when the new spec no longer mounts it: the previous container does.
 */
function keptFiles(p: InstallPaths): string[] {
  return [
    p.prometheusYml,
    p.alertsYml,
    p.webYml,
    p.selfScrapePassword,
    p.remoteWritePassword,
    p.remoteWriteToken,
    p.alertingPassword,
    p.alertingToken,
    p.alertingCa,
  ];
}

/**
 * Step 6: Prometheus. Config files are written first (each checked by promtool from the Prometheus
 * image before it replaces the old one), then the container is reconciled by its spec hash.
 */
export const prometheusStep: Step = {
  id: "prometheus",
  needsSecrets: true,
  needs: (host) => {
    const p = installPaths(host.vars);
    return mergeNeeds([{
      files: withCopyPaths(keptFiles(p)),
      dirs: [p.prometheusDir, p.prometheusSecretsDir, p.prometheusData],
      docker: containerNeeds(
        { name: CONTAINER_NAMES.prometheus, image: host.vars.images.prometheus },
        [CONTAINER_NAMES.traefik],
      ),
    }, certificateNeeds(p)]);
  },
  plan: async (ctx) => {
    // Long on purpose: the recipe's steps in the order the changes apply; each concern is a helper below.
    const { host } = ctx;
    const v = host.vars;
    const p = installPaths(v);
    const native = v.frontend === "native";
    const secrets = await ctx.secrets();
    const alerts = shippedAlerts();

    const docker = dockerFor(ctx);
    const owner = serviceOwner(ctx);
    const spec = prometheusSpec(host, { alerts: alerts !== null }, owner);
    const plan = new ContainerPlan(ctx, spec, keptFiles(p), docker);
    const probe = ctx.probed;
    plan.push(
      // Switching to the native frontend: Traefik holds the HTTPS port Prometheus is about to publish.
      // Not put back if the new Prometheus then fails (only the previous Prometheus is): a failed
      // switch leaves the host monitoring without its HTTPS endpoint until a run of either frontend.
      native
        ? removeContainerChange(
          docker,
          ctx.docker,
          CONTAINER_NAMES.traefik,
          "the native frontend replaces it",
        )
        : null,
      dirChange(p.prometheusDir, "755", probe),
      // Prometheus only opens the files inside by name: it may pass through, not list nor write.
      dirChange(p.prometheusSecretsDir, "710", probe, { owner: groupOnly(owner) }),
      // An earlier install (official image, user nobody; or ours as root) left the data to another
      // uid. A migration run gives it away before the container is recreated: the old container
      // (root without CAP_DAC_OVERRIDE) can then no longer create files there, for a few seconds.
      dirChange(p.prometheusData, "700", probe, {
        recursiveOwner: true,
        owner,
        why: "Prometheus runs as the system user isa-monitoring and must own its data",
      }),
    );

    const secretFile = (path: string, value: string) =>
      plan.file(path, value, { ...SECRET, owner, found: plan.found(path) });
    credentialFiles(plan, secrets, "remote_write", v.remote_write?.auth, secretFile, {
      password: p.remoteWritePassword,
      token: p.remoteWriteToken,
    });
    credentialFiles(plan, secrets, "alerting", v.alerting?.auth, secretFile, {
      password: p.alertingPassword,
      token: p.alertingToken,
    });
    const ca = v.alerting?.ca_file ? await alertingCaText(host) : null;
    if (ca !== null) plan.file(p.alertingCa, ca, PUBLIC);
    else plan.removeIfPresent(p.alertingCa, "alerting no longer names a CA file");

    const validated = promtoolChecked(plan, p, owner);
    if (native) await nativeFrontendFiles(plan, secrets, owner, secretFile, validated);
    if (alerts !== null) {
      validated(p.alertsYml, renderAlerts(alerts, v.alert_for_max), PUBLIC, "check", "rules");
    }
    const config = renderPrometheusConfig(
      prometheusConfigInput(
        host,
        prometheusTemplate(),
        alerts !== null,
        secrets.remote_write?.username,
        secrets.alerting?.username,
      ),
    );
    validated(p.prometheusYml, config, PUBLIC, "check", "config");
    return plan.finish();
  },
};

/**
 * Credentials of a service Prometheus talks to (remote_write, alerting): in a 0600 file when used,
 * removed when no longer used so that none lingers on the host.
 */
function credentialFiles(
  plan: ContainerPlan,
  secrets: Secrets,
  key: "remote_write" | "alerting",
  auth: "none" | "basic" | "bearer" | undefined,
  secretFile: (path: string, value: string) => void,
  files: { password: string; token: string },
): void {
  const given = secrets[key];
  if (auth === "basic") {
    if (!given?.username || !given.password) {
      throw new Error(`${key}.auth is basic: the secrets need ${key}.username and ${key}.password`);
    }
    secretFile(files.password, given.password);
  } else if (auth === "bearer") {
    if (!given?.bearer_token) {
      throw new Error(`${key}.auth is bearer: the secrets need ${key}.bearer_token`);
    }
    secretFile(files.token, given.bearer_token);
  }
  for (
    const [path, used] of [[files.password, auth === "basic"], [files.token, auth === "bearer"]] as const
  ) {
    if (!used) plan.removeIfPresent(path, `${key} no longer uses it`);
  }
}

/** Adds a file promtool (`args…`) must accept before it replaces the deployed one; it also enters the spec hash. */
type Validated = (
  path: string,
  content: string,
  opts: { mode: number; owner: string; secret?: boolean },
  ...args: string[]
) => void;

/**
 * The files promtool checks. It runs from the image with the same mounts as Prometheus (minus the
 * data), so every path the candidate names resolves as it will in production.
 */
function promtoolChecked(plan: ContainerPlan, p: InstallPaths, owner: string): Validated {
  const { ctx, spec } = plan;
  const mounts = (spec.create.HostConfig!.Mounts ?? []).filter((m) =>
    m.Target !== IN_CONTAINER.prometheusData
  );
  const toContainer = (hostPath: string) =>
    inContainer(hostPath, p.prometheusDir, IN_CONTAINER.prometheusConfigDir);
  return (path, content, opts, ...args) => {
    const check = promtoolValidator(ctx.docker, spec.image, args, mounts, toContainer, owner);
    plan.keep(
      path,
      content,
      validatedFileChange(ctx.ssh, path, ctx.probed.files[path], content, {
        ...opts,
        found: plan.found(path),
      }, check),
    );
  };
}

/** The native frontend's files: the certificate, the self-scrape password, and web.yml (users, TLS). */
async function nativeFrontendFiles(
  plan: ContainerPlan,
  secrets: Secrets,
  owner: string,
  secretFile: (path: string, value: string) => void,
  validated: Validated,
): Promise<void> {
  const { ctx } = plan;
  const p = installPaths(ctx.host.vars);
  const probe = ctx.probed;
  plan.push(...mountedCertificate(ctx.host, p, probe, plan.desired, owner));
  // The internal user Prometheus scrapes itself with: random, made once, kept on the host.
  const selfPass = selfScrapePassword(probe.files[p.selfScrapePassword]);
  secretFile(p.selfScrapePassword, selfPass);
  const creds = secrets.frontend.credentials;
  if (creds.some((c) => c.user === SELF_SCRAPE_USER)) {
    throw new Error(`frontend user name ${SELF_SCRAPE_USER} is reserved`);
  }
  const users = await hashCredentials(
    [
      ...creds,
      // 192 random bits: bcrypt's slowness adds nothing to it, and cost 4 keeps every check ~1 ms.
      { user: SELF_SCRAPE_USER, pass: selfPass, cost: 4 },
    ],
    parseWebConfigUsers(probe.files[p.webYml]),
  );
  const web = renderWebConfig({
    certFile: `${IN_CONTAINER.prometheusSsl}/cert.pem`,
    keyFile: `${IN_CONTAINER.prometheusSsl}/key.pem`,
    users,
  });
  validated(p.webYml, web, { ...SECRET, owner }, "check", "web-config");
}
