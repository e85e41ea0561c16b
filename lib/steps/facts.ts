import type { HostContext, Step } from "./step.ts";
import type { Facts } from "../facts/facts.ts";
import type { Vars } from "../inventory/vars.ts";
import { dockerRepoBase } from "./docker_install.ts";
import { reachCheck } from "../commands/probe.ts";
import { exec } from "../transport/exec.ts";
import { APACHE_CONF_FILE } from "../base/names.ts";
import { NFT_MISSING } from "./firewall.ts";
import { type SystemInfo, SYSTEMS } from "../facts/os.ts";

/**
 * Free space the install path needs before a deploy: config files are small, but Prometheus writes
 * its write-ahead log in segments of up to 128 MiB and compacts blocks next to the old ones.
 */
export const MIN_FREE_MB = 256;

/** The systems we support, as the refusal names them (SYSTEMS' majors, written out once for people). */
export const SUPPORTED =
  "RHEL, Rocky and AlmaLinux 8, 9 and 10; CentOS Stream 9 and 10; Debian 11, 12 and 13; Ubuntu 20.04 and later";

/**
 * The entry of SYSTEMS that decides whether `os` is supported: its own ID's, or RHEL's for a rebuild
 * whose ID_LIKE names rhel (as before: a system only `like` Debian or Fedora is not one we checked).
 */
function supportEntry(os: Facts["os"]): SystemInfo | null {
  return Object.hasOwn(SYSTEMS, os.id) ? SYSTEMS[os.id] : os.idLike.includes("rhel") ? SYSTEMS.rhel : null;
}

/**
 * Why this system is refused, or null when it is supported. Older ones fail in confusing ways (RHEL 7:
 * no dnf, a curl without --unix-socket, Docker 1.13 without DOCKER-USER, `requiretty` sudo; CentOS
 * Stream 8: no repositories left, Docker's frozen at 26.1), so they stop here, before any step. A major
 * newer than those checked (RHEL 11) is refused too, saying so, unless the host's inventory sets
 * `allow_untested_system: true`: an operator decides to try it, the tool does not guess.
 */
export function unsupportedReason(os: Facts["os"], allowUntested = false): string | null {
  const [major, minor] = os.versionId.split(".").map((n) => Number.parseInt(n, 10));
  const sys = supportEntry(os);
  const name = os.prettyName === "unknown" ? (os.id || "an unknown system") : os.prettyName;
  const what = `${name} (ID=${os.id || "?"}, VERSION_ID=${os.versionId || "?"})`;
  const refuse = `unsupported system: ${what}; supported: ${SUPPORTED}`;
  if (!sys || !Number.isFinite(major)) return refuse;
  if (sys.from !== undefined) {
    const [m, n] = sys.from.split(".").map(Number);
    return major > m || (major === m && (minor || 0) >= n) ? null : refuse;
  }
  if (sys.majors.includes(major)) return null;
  const newest = Math.max(...sys.majors);
  if (sys.majors.length && major > newest) {
    if (allowUntested) return null;
    return `untested system: ${what} is newer than the ${sys.name} releases checked (${
      sys.majors.join(", ")
    }); set allow_untested_system: true for this host to deploy anyway`;
  }
  return refuse;
}

/** The checks every deploy makes before any change; throws the first problem. */
function check(ctx: HostContext): void {
  const f = ctx.facts;
  const why = unsupportedReason(f.os, ctx.host.vars.allow_untested_system);
  if (why) throw new Error(why);
  if (f.init !== "systemd") throw new Error("systemd is required (services, restart at boot)");
  if (!f.apache) throw new Error("no Apache httpd found (looked for /usr/sbin/httpd and /usr/sbin/apache2)");
  // Checked here, before any step changes the host: a full disk found later would fail half-way
  // through (a config written, its container not recreated) or leave Prometheus unable to write.
  if (f.diskFreeMb < MIN_FREE_MB) {
    throw new Error(
      `only ${f.diskFreeMb} MiB free under ${ctx.host.vars.install_dir}, need ${MIN_FREE_MB} ` +
        `(Prometheus' data and write-ahead log live there); free some space first`,
    );
  }
}

/** One line for the facts step's verbose output (and the first line of the report). */
export function factsLine(f: Facts): string {
  const a = f.apache;
  return `${f.os.prettyName}; SELinux ${f.selinux.mode}; apache ${
    a ? `${a.version} (${a.mpm}, ${a.service})` : "absent"
  }; ` +
    `docker ${f.docker.version ?? (f.docker.installed ? "stopped" : "absent")}; ${f.diskFreeMb} MiB free`;
}

/** Registry host of an image reference (Docker Hub's when the name has no registry part). */
export function registryHost(image: string): string {
  const first = image.split("/")[0];
  const named = (image.includes("/") && /[.:]/.test(first)) || first === "localhost";
  // docker.io is Docker Hub's name in references; its registry API answers on registry-1.docker.io.
  return named && first !== "docker.io" ? first : "registry-1.docker.io";
}

/** What the reachability probe asks: Docker's repository (when we'd add it) and every image registry. */
export function reachTargets(f: Facts, vars: Vars): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  const base = dockerRepoBase(f, vars);
  if (base && !f.docker.installed) {
    const major = f.os.versionId.split(".")[0];
    out.push({ name: "docker repository", url: `${base}/${major}/${f.os.arch}/stable/repodata/repomd.xml` });
  }
  if (vars.image_delivery === "pull") {
    for (const host of new Set(Object.values(vars.images).map(registryHost))) {
      out.push({ name: `registry ${host}`, url: `https://${host}/v2/` });
    }
  }
  return out;
}

/** Everything the facts found that decides the plan, one line per subject. */
export function factsReport(f: Facts, vars: Vars, reach: Map<string, string>): string[] {
  const a = f.apache;
  const s = f.selinux;
  const lines = [
    `system: ${f.os.prettyName} (${f.os.id} ${f.os.versionId}, ${f.os.family} family)` +
    `${unsupportedReason(f.os, vars.allow_untested_system) ? ": NOT SUPPORTED" : ""}; login ${
      f.loginUser || "?"
    }`,
    `selinux: ${s.mode}${
      s.mode === "absent" ? "" : `; Docker labels containers: ${s.dockerLabels ? "yes" : "no"}; ` +
        `${vars.install_dir}: ${s.installDirLabel ?? "absent"} (policy: ${s.installDirDefault ?? "?"})`
    }`,
    `firewall: ${f.firewall.firewalld ? "firewalld active" : "firewalld inactive"}; ` +
    `${
      [f.firewall.iptables && "iptables", f.firewall.nftables && "nft"].filter(Boolean).join(", ") ||
      "no tools"
    }; ` +
    `persistence ${f.firewall.persistence}`,
    ...(f.firewall.nftables ? [] : [`nft: MISSING: ${NFT_MISSING}`]),
    `container tools: ${
      f.containerTools.length ? f.containerTools.join(", ") + " installed" : "none of podman, buildah, runc"
    }` +
    (f.containerTools.length && !f.docker.installed
      ? vars.docker_allow_erasing
        ? " (docker_allow_erasing: dnf replaces them)"
        : " (conflict: the docker step will stop)"
      : ""),
    `docker: ${
      f.docker.installed
        ? `${f.docker.package ?? "installed"}, ${
          f.docker.running ? `running ${f.docker.version}` : "stopped"
        }`
        : "not installed"
    }; repository ${
      f.os.family === "rhel" ? dockerRepoBase(f, vars) ?? "none (host's own)" : "distribution's"
    }` +
    `; proxy ${vars.proxy ? [vars.proxy.https ?? vars.proxy.http].join("") : "none"}`,
    ...[...reach].map(([name, code]) =>
      `reach ${name}: ${code === "000" || !code ? "NO ANSWER" : `answers (HTTP ${code})`}${
        vars.proxy ? " via the proxy" : ""
      }`
    ),
    ...(vars.image_delivery === "push"
      ? ["registry: not used (image_delivery: push sends images over SSH)"]
      : []),
    a
      ? `apache: ${a.binary} ${a.version} (${a.mpm}), service ${a.service} ${
        a.running ? "running" : "stopped"
      }, ` +
        `config ${a.configFile} (${a.includes.length} files loaded), ours ${a.confFile}; ` +
        `mod_status ${a.statusModule ? "loaded" : "not loaded"}, ExtendedStatus ${
          a.extendedStatus ? "on" : "off"
        }; ` +
        `config test ${a.configOk ? "ok" : "FAILS"}; other <Location /server-status>: ${
          a.statusLocations.filter((l) => !l.includes(APACHE_CONF_FILE)).length
        }`
      : "apache: not found",
    `disk: ${f.diskFreeMb} MiB free under ${vars.install_dir}`,
  ];
  return lines;
}

/** Step 1: facts are gathered by the runner; this step checks prerequisites. */
export const factsStep: Step = {
  id: "facts",
  plan: (ctx) => {
    ctx.debug(factsLine(ctx.facts));
    check(ctx);
    return Promise.resolve([]);
  },
};

/**
 * `deno task facts`: first contact with a host. Prints everything found that decides the plan, with
 * a bounded reachability check of Docker's repository and the registries from the host, then checks.
 */
export const factsReportStep: Step = {
  id: "facts",
  needs: () => ({ packages: true }),
  plan: async (ctx) => {
    const vars = ctx.host.vars;
    const targets = reachTargets(ctx.facts, vars);
    const reach = new Map<string, string>();
    if (targets.length) {
      const r = await exec(ctx.ssh, reachCheck(targets, vars));
      for (const l of r.stdout.split("\n")) {
        const [i, code] = l.trim().split(" ");
        if (targets[Number(i)]) reach.set(targets[Number(i)].name, code ?? "");
      }
    }
    for (const l of factsReport(ctx.facts, vars, reach)) ctx.progress(l);
    check(ctx);
    return [];
  },
};
