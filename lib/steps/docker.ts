import { applyChange, type Change, changeText } from "../engine/change.ts";
import {
  containerToolsError,
  dockerRepoBase,
  dockerRepoFile,
  mergedDaemonJson,
  needsSelinuxLabel,
  proxyDropIn,
  waitForPackageLock,
} from "./docker_install.ts";
import { installPaths } from "../inventory/paths.ts";
import { leftoverCacheChange } from "../containers/image_cache.ts";
import { fileChange } from "../engine/file_change.ts";
import type { HostContext, Step } from "./step.ts";
import type { Facts } from "../facts/facts.ts";
import type { Vars } from "../inventory/vars.ts";
import { DAEMON_JSON, DOCKER_PROXY_DROPIN, DOCKER_REPO_FILE } from "../facts/docker.ts";
import { exec } from "../transport/exec.ts";
import { DAEMON_RELOAD } from "../commands/systemd.ts";
import {
  dockerInstallable,
  fetchDockerKey,
  installDocker,
  installDockerClient,
  labelContainerFiles,
  RESTART_DOCKER,
  START_DOCKER,
} from "../commands/docker.ts";
import { IMAGE_CACHE_DIR, INSTALL_MARKER, MANAGED_LABEL } from "../base/names.ts";
import { claimInstallDir } from "../commands/files.ts";

/**
 * The IPv4 subnet of our Docker network, where the exporter's requests to Apache come from:
 * `docker_subnet` when set, else what Docker gave the network; null when it does not exist yet.
 */
export function ourSubnet(vars: Pick<Vars, "docker_network" | "docker_subnet">, facts: Facts): string | null {
  return vars.docker_subnet ?? facts.docker.networkSubnets[vars.docker_network]?.[0] ?? null;
}

/** Step 2: a running Docker engine, enabled at boot, with default log rotation, and our network. */
export const dockerStep: Step = {
  startsEngine: true,
  id: "docker",
  needs: (host) => ({ stats: [installPaths(host.vars).marker], dirs: [IMAGE_CACHE_DIR] }),
  plan: async (ctx) => {
    const { ssh, facts } = ctx;
    const vars = ctx.host.vars;
    const changes: Change[] = [];
    const current = facts.docker.daemonJson;
    const daemon = mergedDaemonJson(current, ctx.host.name);
    const dropIn = proxyDropIn(vars.proxy);
    const dropInChange = dropIn === null ? null : fileChange(
      ssh,
      DOCKER_PROXY_DROPIN,
      facts.dockerFiles.proxyDropIn,
      dropIn,
      {
        mode: 0o644,
        // -v has always shown this one as "daemon-reload".
        after: async () => void await exec(ssh, { ...DAEMON_RELOAD, log: "daemon-reload" }),
      },
    );
    if (!facts.docker.installed) changes.push(...await installChanges(ctx, daemon, dropInChange));
    else if (dropInChange) changes.push(restartedForProxy(ctx, dropInChange));
    if (facts.docker.installed && facts.docker.clientMissing) {
      const client = facts.os.family === "rhel" ? "docker-ce-cli" : "docker-cli";
      changes.push({
        summary:
          `install ${client}: the engine has no \`docker\` client, through which the deploy reaches it as root`,
        apply: async () => {
          await waitForPackageLock(ssh, facts, ctx.progress);
          await exec(ssh, installDockerClient(facts.os, vars));
        },
      });
    }
    if (facts.docker.installed && daemon) {
      // A running engine only reads log options at start; we don't restart it for that (it
      // would restart every container on the host). Our containers carry their own rotation.
      const c = fileChange(ssh, DAEMON_JSON, current, daemon, { mode: 0o644 })!;
      changes.push({
        ...c,
        summary: `${c.summary} (log rotation; takes effect at the engine's next restart)`,
      });
    }
    if (!facts.docker.running || !facts.docker.installed) {
      changes.push({
        summary: "enable and start docker, wait for its API",
        apply: async () => {
          await exec(ssh, START_DOCKER);
          await ctx.refreshFacts();
        },
      });
    }
    const paths = installPaths(vars);
    // Before anything is written in it: purge and the relabel act only on a folder holding the marker.
    if (!ctx.probed.stats[paths.marker]) {
      changes.push({
        summary: `mark ${paths.root} as isa-monitoring's install folder (${INSTALL_MARKER})`,
        command: claimInstallDir(paths.root),
      });
    }
    if (needsSelinuxLabel(facts)) {
      const dir = paths.root;
      changes.push({
        summary: `label ${dir} container_file_t for SELinux (semanage fcontext, restorecon): Docker ` +
          `labels containers here, and ours read their files there`,
        command: labelContainerFiles(dir, vars),
      });
    }
    changes.push(...networkChanges(ctx));
    // Loads remove their archive and the last one the folder: one found with a running engine holds
    // what a run that died between sending and loading left (while the engine installs, it is in use).
    if (facts.docker.running && ctx.probed.dirs[IMAGE_CACHE_DIR]) {
      changes.push(leftoverCacheChange(IMAGE_CACHE_DIR));
    }
    return changes;
  },
};

/**
 * The engine's installation on a host without it: daemon.json and the proxy drop-in first, our
 * repository file when the host's own repositories lack docker-ce, then the packages.
 */
async function installChanges(
  ctx: HostContext,
  daemon: string | null,
  dropInChange: Change | null,
): Promise<Change[]> {
  const { ssh, facts } = ctx;
  const vars = ctx.host.vars;
  const current = facts.docker.daemonJson;
  const changes: Change[] = [];
  const rhel = facts.os.family === "rhel";
  if (rhel && facts.containerTools.length && !vars.docker_allow_erasing) {
    throw new Error(containerToolsError(facts.containerTools));
  }
  // daemon.json first, so the engine starts with log rotation from its very first container; the
  // proxy drop-in too, so its first pull goes through the proxy.
  if (daemon) changes.push(fileChange(ssh, DAEMON_JSON, current, daemon, { mode: 0o644 })!);
  if (dropInChange) changes.push(dropInChange);
  const base = dockerRepoBase(facts, vars);
  let from = rhel ? "the host's repositories" : "Debian's repositories";
  if (base) {
    // A Satellite or an operator's repository that already offers docker-ce wins: no repository of ours.
    const r = await exec(ssh, dockerInstallable(vars));
    if (r.stdout.trim() !== "yes") {
      from = base;
      const repo = fileChange(
        ssh,
        DOCKER_REPO_FILE,
        facts.dockerFiles.repoFile,
        dockerRepoFile(base, facts),
        {
          mode: 0o644,
        },
      );
      changes.push({
        summary: `fetch Docker's repository key from ${base}/gpg, keep it only with Docker's fingerprint`,
        command: fetchDockerKey(base, vars),
      });
      if (repo) changes.push(repo);
    }
  }
  const erasing = rhel && vars.docker_allow_erasing && facts.containerTools.length
    ? ` (--allowerasing: dnf replaces ${facts.containerTools.join(", ")})`
    : "";
  changes.push({
    summary: `install ${rhel ? "docker-ce docker-ce-cli containerd.io" : "docker.io"} from ${from}` +
      `${vars.proxy ? " through the proxy" : ""}${erasing}` +
      (rhel ? "" : " (and docker-cli, where apt packs the client apart: Debian 13)"),
    apply: async () => {
      await waitForPackageLock(ssh, facts, ctx.progress);
      ctx.progress("installing the Docker engine (package download, may take a minute)");
      await exec(ssh, installDocker(facts.os, vars));
    },
  });
  return changes;
}

/** The proxy drop-in on an installed engine: dockerd reads its environment at start, so the pulls of this run need it restarted. */
function restartedForProxy(ctx: HostContext, dropInChange: Change): Change {
  const { ssh, facts } = ctx;
  return {
    ...changeText(dropInChange),
    summary: `${dropInChange.summary}${
      facts.docker.running ? "; restart docker (its containers restart with it)" : ""
    }`,
    apply: async () => {
      await applyChange(ssh, dropInChange);
      if (facts.docker.running) {
        await exec(ssh, RESTART_DOCKER);
      }
    },
  };
}

/** Our Docker network: created when missing (before the Apache step, which allows its subnet), never moved. */
function networkChanges(ctx: HostContext): Change[] {
  const { facts } = ctx;
  const changes: Change[] = [];
  const net = ctx.host.vars.docker_network;
  const fixed = ctx.host.vars.docker_subnet;
  const has = facts.docker.networkSubnets[net];
  if (fixed && has && !has.includes(fixed)) {
    // Moving a network means detaching every container: not done behind the operator's back.
    throw new Error(
      `Docker network ${net} has subnet ${has.join(", ") || "none"}, not docker_subnet ${fixed}: ` +
        `set docker_subnet to it, or uninstall (removes the network) and deploy again`,
    );
  }
  if (!facts.docker.networkNames.includes(net)) {
    // Created here, before the Apache step, so Apache can allow its subnet by name. A stopped
    // engine lists no networks: whether ours exists is only known once the engine is started, and
    // Docker before 25 creates a second network of the same name (then every container that names
    // it fails as "ambiguous"). So apply looks again, and asks Docker to refuse a duplicate.
    const known = facts.docker.running;
    changes.push({
      summary: known
        ? `create Docker network ${net}`
        : `create Docker network ${net} unless the started engine has it`,
      apply: async () => {
        if (ctx.facts.docker.networkNames.includes(net)) return;
        const docker = await ctx.docker();
        await docker.createNetwork({
          Name: net,
          Driver: "bridge",
          CheckDuplicate: true,
          ...(fixed ? { IPAM: { Driver: "default", Config: [{ Subnet: fixed }] } } : {}),
          Labels: { [MANAGED_LABEL]: "true" },
        });
        await ctx.refreshFacts();
      },
    });
  }
  return changes;
}
