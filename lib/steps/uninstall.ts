import { BEGIN, withoutBlock } from "../render/apache_block.ts";
import type { Change } from "../engine/change.ts";
import { installPaths } from "../inventory/paths.ts";
import { CONTAINER_NAMES } from "../containers/builders.ts";
import { containerState } from "../containers/reconcile.ts";
import { unifiedDiff } from "../engine/file_change.ts";
import { removeEdit } from "../commands/apache.ts";
import type { Step } from "./step.ts";
import { runApacheChange } from "./apache.ts";
import { removeServiceAccountStep } from "./service_account.ts";
import { LEGACY_CHAIN, MANAGED_LABEL, TABLE, UNIT_NAME } from "../base/names.ts";
import { exec } from "../transport/exec.ts";
import { FIREWALL_LEFTOVERS, REMOVE_FIREWALL } from "../commands/firewall.ts";
import { installDirState, removeInstallDir } from "../commands/files.ts";
import { fcontextRuleQuery, removeFcontextRule } from "../commands/docker.ts";
import { CACHE_ROOT, INSTALL_MARKER } from "../base/names.ts";
import { leftoverCacheChange } from "../containers/image_cache.ts";

/**
 * Removes our containers and network (the Docker engine itself stays: other things may use it).
 * Only containers carrying our label, found by the label and removed by ID: a container of
 * someone else's that has one of our names is never touched, and is named in a progress line.
 */
export const removeContainersStep: Step = {
  id: "containers",
  plan: async (ctx) => {
    if (!ctx.facts.docker.running) return [];
    const docker = await ctx.docker();
    const changes: Change[] = [];
    for (const name of Object.values(CONTAINER_NAMES)) {
      const st = await containerState(docker, name);
      if (st && !st.managed) {
        ctx.progress(
          `leaving container ${name} alone: isa-monitoring did not create it (no ${MANAGED_LABEL} label)`,
        );
      }
    }
    const list = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
    for (const c of list) {
      const name = c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);
      changes.push({
        summary: `remove container ${name} (${c.State})`,
        apply: async () => void await docker.getContainer(c.Id).remove({ force: true }),
      });
    }
    const nets = await docker.listNetworks({ filters: { label: [`${MANAGED_LABEL}=true`] } });
    for (const n of nets) {
      changes.push({
        summary: `remove Docker network ${n.Name}`,
        apply: async () => void await docker.getNetwork(n.Id).remove(),
      });
    }
    return changes;
  },
};

/** Removes our block from EPFL_isa.conf (the file too when nothing else is in it), validated and reloaded. */
export const removeApacheBlockStep: Step = {
  id: "apache",
  plan: (ctx) => {
    const apache = ctx.facts.apache;
    if (!apache) return Promise.resolve([]);
    // Read by the facts probe, in the same round trip as everything else.
    const current = apache.ourFile;
    if (current === null || !current.includes(BEGIN)) return Promise.resolve([]);
    const rest = withoutBlock(current);
    const removeFile = rest.trim() === "";
    const debian = apache.layout === "debian";
    const edit = removeEdit(apache.confFile, removeFile ? null : rest, debian);
    const what = `${removeFile ? "remove" : "update"} ${apache.confFile}`;
    return Promise.resolve([{
      summary: `${what}; ${apache.ctl} -t; graceful reload of ${apache.service}`,
      diff: unifiedDiff(apache.confFile, current, removeFile ? null : rest),
      apply: () => runApacheChange(ctx, apache, edit, `${what} (our block removed)`),
    }]);
  },
};

/** Removes our nftables table, its file and unit, and what earlier versions left (chain, watcher). */
export const removeFirewallStep: Step = {
  id: "firewall",
  plan: async (ctx) => {
    const r = await exec(ctx.ssh, FIREWALL_LEFTOVERS);
    if (!r.stdout.trim()) return [];
    return [{
      summary: `remove nftables table inet ${TABLE}, ${UNIT_NAME} and its file` +
        (/chain|watch|script/.test(r.stdout)
          ? `; the former iptables chain ${LEGACY_CHAIN} and firewalld watcher`
          : ""),
      command: REMOVE_FIREWALL,
    }];
  },
};

/**
 * With --purge: removes the install folder, data included, the SELinux file-context rule the docker
 * step added for it (labelContainerFiles), which would otherwise outlive the folder, and our folder
 * under /var/cache with the image archives a run that died before loading them left (image_cache.ts).
 */
export const purgeStep: Step = {
  id: "purge",
  needs: () => ({ dirs: [CACHE_ROOT] }),
  plan: async (ctx) => {
    const root = installPaths(ctx.host.vars).root;
    if (root === "/" || root.split("/").filter(Boolean).length < 2) {
      throw new Error(`refusing to purge '${root}': install_dir must be at least two levels deep`);
    }
    const r = await exec(ctx.ssh, installDirState(root));
    const [size, marked] = r.stdout.trim().split(" ");
    const changes: Change[] = [];
    if (size) {
      if (marked !== "marked") {
        throw new Error(
          `refusing to purge ${root}: it does not hold isa-monitoring's marker file (${INSTALL_MARKER}), ` +
            `so it may not be ours; nothing was removed (check install_dir, remove it by hand if it is ours)`,
        );
      }
      changes.push({
        summary: `remove ${root} (${size}, Prometheus data included)`,
        // The command checks the marker again: it is the last word before rm -rf.
        command: removeInstallDir(root),
      });
    }
    const rule = (await exec(ctx.ssh, fcontextRuleQuery(root))).stdout.trim();
    if (rule) {
      changes.push({
        summary: `remove the SELinux file-context rule for ${root} (semanage fcontext -d)`,
        command: removeFcontextRule(root),
      });
    }
    // The whole of our folder under /var/cache: the archives' folder and the one made above it.
    if (ctx.probed.dirs[CACHE_ROOT]) changes.push(leftoverCacheChange(CACHE_ROOT));
    return changes;
  },
};

/**
 * The uninstall run, in order; `--purge` (uninstall's own flag) also removes the install folder, then
 * the system user that owned its files (without --purge the user stays with the files it owns).
 */
export function uninstallSteps(purge: boolean): Step[] {
  return [
    removeContainersStep,
    removeApacheBlockStep,
    removeFirewallStep,
    ...(purge ? [purgeStep, removeServiceAccountStep] : []),
  ];
}
