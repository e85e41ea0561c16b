import { certificateNeeds, mountedCertificate } from "./certificate.ts";
import type { Change } from "../engine/change.ts";
import { CONTAINER_NAMES, traefikSpec } from "../containers/builders.ts";
import { containerNeeds, removeContainerChange } from "../containers/container_change.ts";
import { mergeNeeds, type ProbeNeeds } from "../facts/needs.ts";
import type { Host } from "../inventory/host.ts";
import { withCopyPaths } from "../containers/previous_files.ts";
import { type InstallPaths, installPaths } from "../inventory/paths.ts";
import { hashCredentials, parseHtpasswd, renderHtpasswd } from "../render/htpasswd.ts";
import type { HostContext, Step } from "./step.ts";
import { renderTraefikDynamic, renderTraefikStatic } from "../render/traefik_config.ts";
import { traefikDynamicTemplate, traefikStaticTemplate } from "./shipped_files.ts";
import { serviceOwner } from "./service_account.ts";
import { ContainerPlan, dockerFor } from "./container_recipe.ts";
import { dirChange } from "../containers/dir_change.ts";

/** The files we write and whose previous content is kept until the new container is ready; not the
 * certificate: the previous container, started again, reads whichever is current. */
function keptFiles(p: InstallPaths): string[] {
  return [p.htpasswd, p.traefikYml, p.traefikDynamicYml];
}

/** What the Traefik step reads in the batched probe. */
function traefikNeeds(host: Host): ProbeNeeds {
  const docker = containerNeeds({ name: CONTAINER_NAMES.traefik, image: host.vars.images.traefik });
  if (host.vars.frontend === "native") return { docker: { containers: docker.containers } };
  const p = installPaths(host.vars);
  return mergeNeeds([
    { files: withCopyPaths(keptFiles(p)), dirs: [p.traefikDir, p.traefikDynamicDir], docker },
    certificateNeeds(p),
  ]);
}

/** The Traefik step's plan: its files, validated, then its container (or its removal when native). */
async function planTraefik(ctx: HostContext): Promise<Change[]> {
  const { host } = ctx;
  const v = host.vars;
  const docker = dockerFor(ctx);
  if (v.frontend === "native") {
    const rm = removeContainerChange(docker, ctx.docker, CONTAINER_NAMES.traefik, "the frontend is native");
    return rm ? [rm] : [];
  }
  const p = installPaths(v);
  const secrets = await ctx.secrets();
  const owner = serviceOwner(ctx);
  const plan = new ContainerPlan(ctx, traefikSpec(host, owner), keptFiles(p), docker);
  const probe = ctx.probed;
  plan.push(
    dirChange(p.traefikDir, "755", probe),
    dirChange(p.traefikDynamicDir, "755", probe),
  );

  plan.push(...mountedCertificate(host, p, probe, plan.desired, owner));

  // Hashes still matching their password are kept, so a re-run writes identical bytes.
  const users = await hashCredentials(secrets.frontend.credentials, parseHtpasswd(probe.files[p.htpasswd]));
  const htpasswd = renderHtpasswd(users);
  const input = { dashboard: v.dashboard };
  const files: [string, string, boolean][] = [
    [p.htpasswd, htpasswd, true],
    [p.traefikYml, renderTraefikStatic(input, traefikStaticTemplate()), false],
    [p.traefikDynamicYml, renderTraefikDynamic(input, traefikDynamicTemplate()), false],
  ];
  for (const [path, text, secret] of files) {
    plan.file(path, text, {
      mode: secret ? 0o600 : 0o644,
      // htpasswd belongs to the user Traefik runs as; its configuration to root.
      owner: secret ? owner : "0:0",
      secret,
      found: plan.found(path),
    });
  }
  return plan.finish();
}

/**
 * Step 7: Traefik in front of Prometheus (HTTPS + basic auth), the default frontend. With the native
 * frontend it only makes sure no Traefik container is left.
 */
export const traefikStep: Step = {
  id: "traefik",
  needsSecrets: true,
  needs: traefikNeeds,
  plan: planTraefik,
};
