import { planCertificate } from "./certificate.ts";
import type { Change } from "../engine/change.ts";
import { CONTAINER_NAMES, traefikSpec } from "../containers/builders.ts";
import {
  containerChange,
  type DesiredFiles,
  dirChange,
  dockerFor,
  imageChangeFor,
  networkChange,
  PENDING,
  removeContainerChange,
} from "../containers/changes.ts";
import { probeHost } from "../facts/files_probe.ts";
import { installPaths } from "../inventory/paths.ts";
import { hashCredentials, parseHtpasswd, renderHtpasswd } from "../render/htpasswd.ts";
import { fileChange } from "../engine/file_change.ts";
import type { Step } from "../engine/step.ts";
import { renderTraefikDynamic, renderTraefikStatic } from "../render/traefik_config.ts";

/**
 * Step 7: Traefik in front of Prometheus (HTTPS + basic auth), the default frontend. With the native
 * frontend it only makes sure no Traefik container is left.
 */
export const traefikStep: Step = {
  id: "traefik",
  title: "Traefik frontend",
  needsSecrets: true,
  plan: async (ctx) => {
    const { host, ssh } = ctx;
    const v = host.vars;
    const docker = await dockerFor(ctx);
    if (v.frontend === "native") {
      const rm = await removeContainerChange(docker, CONTAINER_NAMES.traefik, "the frontend is native");
      return rm ? [rm] : [];
    }
    const p = installPaths(v);
    const secrets = await ctx.secrets();
    const probe = await probeHost(ssh, [p.traefikYml, p.traefikDynamicYml, p.htpasswd, p.cert], [
      p.traefikDir,
      p.traefikDynamicDir,
    ]);
    const spec = traefikSpec(host, ctx.facts);
    const desired: DesiredFiles = {};
    const changes: (Change | null)[] = [
      await networkChange(docker, v.docker_network),
      await imageChangeFor(ctx, docker, spec.image),
      dirChange(ssh, p.traefikDir, "755", probe),
      dirChange(ssh, p.traefikDynamicDir, "755", probe),
    ];

    const cert = await planCertificate(ssh, host, p);
    changes.push(...cert.changes);
    desired[p.cert] = cert.willChange ? PENDING : probe.files[p.cert];

    // Hashes still matching their password are kept, so a re-run writes identical bytes.
    const users = await hashCredentials(secrets.frontend.credentials, parseHtpasswd(probe.files[p.htpasswd]));
    const htpasswd = renderHtpasswd(users);
    const input = { dashboard: v.dashboard };
    const files: [string, string, boolean][] = [
      [p.htpasswd, htpasswd, true],
      [p.traefikYml, renderTraefikStatic(input), false],
      [p.traefikDynamicYml, renderTraefikDynamic(input), false],
    ];
    for (const [path, text, secret] of files) {
      desired[path] = text;
      changes.push(
        fileChange(ssh, path, probe.files[path], text, {
          mode: secret ? 0o600 : 0o644,
          owner: "0:0",
          secret,
          found: probe.fileStats[path],
        }),
      );
    }

    changes.push(await containerChange(docker, ssh, spec, desired));
    return changes.filter((c): c is Change => c !== null);
  },
};
