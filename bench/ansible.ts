/**
 * The bench's side-by-side with Ansible (`--ansible`, issue 25): the inventory and variables the playbook
 * (bench/ansible/site.yml) reads, its syntax check, a timed run, and what its PLAY RECAP says. The text
 * builders and the recap parser are pure (tests/unit/bench_ansible_test.ts); `runAnsible` runs the real
 * `ansible-playbook`.
 */
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import $ from "dax";
import { hashPassword } from "../lib/render/htpasswd.ts";
import { SELF_SCRAPE_USER } from "../lib/render/web_config.ts";
import {
  LAB_DIR,
  LAB_DOMAIN,
  labFiles,
  loopbackAddress,
  OLDEST_LINE_HOST,
  PROJECT_ROOT,
} from "../lib/lab/layout.ts";
import type { LabImages } from "../lib/lab/app_images.ts";

/** The playbook and its settings (pipelining, forks 10). */
export const PLAYBOOK_DIR: string = join(PROJECT_ROOT, "bench", "ansible");
/** Where the bench writes the playbook's inventory, variables, log and the saved images (.lab/: not in git). */
export const ANSIBLE_WORK_DIR: string = join(LAB_DIR, "bench-ansible");

/** What one host of the side-by-side needs besides its name (the lab's per-host values). */
export interface AnsibleHost {
  name: string;
  fqdn: string;
  public_address: string;
  images: { apache_exporter: string; prometheus: string };
}

/**
 * hosts.yml: group `bench`, each host reached through the lab's ssh_config (its alias, user, key and
 * known_hosts with strict checking), as our deploy reaches it.
 */
export function ansibleInventoryText(hosts: AnsibleHost[], sshConfig: string): string {
  const doc = {
    bench: {
      vars: { ansible_ssh_common_args: `-F ${sshConfig}` },
      hosts: Object.fromEntries(
        hosts.map((h) => [h.name, {
          ansible_host: h.name,
          fqdn: h.fqdn,
          public_address: h.public_address,
          images: h.images,
        }]),
      ),
    },
  };
  return "# Written by `deno task bench --ansible`; the side-by-side's hosts.\n" + stringify(doc);
}

/** The variables every host shares: the lab inventory's (bench/bench.ts) and the secrets, hashed. */
export interface AnsibleVars {
  deployment: string;
  scrape_interval: string;
  retention_time: string;
  retention_size: string;
  dashboard: boolean;
  allowed_sources: string[];
  ports: { https: number; dashboard: number };
  /** The frontend's users with their bcrypt hashes (web.yml). */
  frontend_users: { user: string; hash: string }[];
  self_scrape_password: string;
  self_scrape_hash: string;
  alerts_file: string;
}

/** vars.yml (0600: it holds the self-scrape password), read with `-e @vars.yml`: never in argv. */
export function ansibleVarsText(v: AnsibleVars): string {
  return "# Written by `deno task bench --ansible`; holds a password: 0600, under .lab/.\n" + stringify(v);
}

/** The shared variables for the lab's frontend user and password (bcrypt as ours: cost 10, self-scrape 4). */
export async function ansibleVars(
  base: Omit<AnsibleVars, "frontend_users" | "self_scrape_password" | "self_scrape_hash">,
  credentials: { user: string; pass: string }[],
): Promise<AnsibleVars> {
  const self = randomBytes(24).toString("hex");
  return {
    ...base,
    frontend_users: await Promise.all(
      credentials.filter((c) => c.user !== SELF_SCRAPE_USER).map(async (c) => ({
        user: c.user,
        hash: await hashPassword(c.pass),
      })),
    ),
    self_scrape_password: self,
    self_scrape_hash: await hashPassword(self, 4),
  };
}

/** Lab hosts as the playbook's inventory names them: the lab inventory's values (lib/lab/inventory.ts). */
export function labAnsibleHosts(names: string[], images: LabImages): AnsibleHost[] {
  return names.map((name) => ({
    name,
    fqdn: `${name}.${LAB_DOMAIN}`,
    public_address: loopbackAddress(name),
    images: {
      apache_exporter: images.apache_exporter,
      prometheus: name === OLDEST_LINE_HOST ? images.prometheus_oldest : images.prometheus,
    },
  }));
}

/**
 * The variables of the lab inventory the bench deploys with (lib/lab/inventory.ts: deployment qual, native
 * frontend with the dashboard, scrape_interval 5s; the defaults' retention size and ports), for the lab's
 * frontend user and password.
 */
export function labAnsibleVars(retention: string, user: string, pass: string): Promise<AnsibleVars> {
  return ansibleVars({
    deployment: "qual",
    scrape_interval: "5s",
    retention_time: retention,
    retention_size: "2GB",
    dashboard: true,
    allowed_sources: [],
    ports: { https: 8443, dashboard: 8080 },
    alerts_file: join(PROJECT_ROOT, "files", "prometheus", "alerts.yml"),
  }, [{ user, pass }]);
}

/** One host's PLAY RECAP line. */
export interface RecapLine {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

/**
 * The PLAY RECAP of `ansible-playbook`'s default output (`isaqal11 : ok=40 changed=31 unreachable=0
 * failed=0 skipped=2 rescued=0 ignored=0`), one entry per host; empty when there is none (it died first).
 */
export function parseRecap(output: string): RecapLine[] {
  const at = output.lastIndexOf("PLAY RECAP");
  if (at < 0) return [];
  const out: RecapLine[] = [];
  for (const line of output.slice(at).split("\n").slice(1)) {
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const n = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(m[2])?.[1] ?? NaN);
    const r = {
      host: m[1],
      ok: n("ok"),
      changed: n("changed"),
      unreachable: n("unreachable"),
      failed: n("failed"),
    };
    if (![r.ok, r.changed, r.unreachable, r.failed].some(Number.isNaN)) out.push(r);
  }
  return out;
}

/**
 * Why a run is not what the bench asked for, or null: every host of `hosts` in the recap, none failed or
 * unreachable, and for a no-op nothing changed.
 */
export function recapProblem(recap: RecapLine[], hosts: string[], noop: boolean): string | null {
  const byHost = new Map(recap.map((r) => [r.host, r]));
  const missing = hosts.filter((h) => !byHost.has(h));
  if (missing.length) return `no PLAY RECAP line for ${missing.join(", ")}`;
  const bad = recap.filter((r) => r.failed || r.unreachable);
  if (bad.length) {
    return bad.map((r) => `${r.host}: failed=${r.failed} unreachable=${r.unreachable}`).join("; ");
  }
  const changed = recap.filter((r) => r.changed);
  if (noop && changed.length) {
    return `the re-run was not a no-op: ${changed.map((r) => `${r.host} changed=${r.changed}`).join(", ")}`;
  }
  return null;
}

/** The environment `ansible-playbook` runs with: our ansible.cfg, no cows, no colour in the log. */
function env(): Record<string, string> {
  return {
    ANSIBLE_CONFIG: join(PLAYBOOK_DIR, "ansible.cfg"),
    ANSIBLE_NOCOWS: "1",
    ANSIBLE_FORCE_COLOR: "0",
  };
}

/** Files the runs use, under ANSIBLE_WORK_DIR. */
export const ansibleFiles = {
  inventory: join(ANSIBLE_WORK_DIR, "hosts.yml"),
  vars: join(ANSIBLE_WORK_DIR, "vars.yml"),
  images: join(ANSIBLE_WORK_DIR, "images"),
  log: join(ANSIBLE_WORK_DIR, "last-run.log"),
} as const;

/** Writes hosts.yml and vars.yml (0600) for these hosts. */
export async function writeAnsibleFiles(hosts: AnsibleHost[], vars: AnsibleVars): Promise<void> {
  await Deno.mkdir(ANSIBLE_WORK_DIR, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(ansibleFiles.inventory, ansibleInventoryText(hosts, labFiles.sshConfig));
  await Deno.writeTextFile(ansibleFiles.vars, ansibleVarsText(vars), { mode: 0o600 });
  await Deno.chmod(ansibleFiles.vars, 0o600);
}

/** `ansible-playbook --syntax-check`: the bench checks the playbook before it resets any host. */
export async function syntaxCheck(): Promise<string | null> {
  const r = await $`ansible-playbook -i ${ansibleFiles.inventory} -e ${
    "@" + ansibleFiles.vars
  } --syntax-check site.yml`
    .cwd(PLAYBOOK_DIR).env(env()).quiet().noThrow().timeout(120_000);
  return r.code === 0 ? null : `${r.stdout}${r.stderr}`.trim().slice(-2000);
}

/** A timed run of the playbook: wall seconds of the whole process, its recap, and its output's tail. */
export interface AnsibleRun {
  seconds: number;
  code: number;
  recap: RecapLine[];
  tail: string;
}

/**
 * Runs the playbook on the hosts of hosts.yml, timing the whole `ansible-playbook` process. `fresh` drops
 * the images a previous run saved on the controller, so a cold run pays for its `docker save` as ours does.
 * The whole output goes to ANSIBLE_WORK_DIR/last-run.log.
 */
export async function runAnsible(timeoutMs: number, fresh: boolean): Promise<AnsibleRun> {
  if (fresh) await Deno.remove(ansibleFiles.images, { recursive: true }).catch(() => {});
  await Deno.mkdir(ansibleFiles.images, { recursive: true });
  const t0 = performance.now();
  const r = await $`ansible-playbook -i ${ansibleFiles.inventory} -e ${"@" + ansibleFiles.vars} -e ${
    "image_tars=" + ansibleFiles.images
  } site.yml`.cwd(PLAYBOOK_DIR).env(env()).stdout("piped").stderr("piped").noThrow().timeout(timeoutMs);
  const seconds = (performance.now() - t0) / 1000;
  await Deno.writeTextFile(ansibleFiles.log, `${r.stdout}\n--- stderr ---\n${r.stderr}`);
  return { seconds, code: r.code, recap: parseRecap(r.stdout), tail: `${r.stdout}${r.stderr}`.slice(-3000) };
}
