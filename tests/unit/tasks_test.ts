/**
 * The tasks as deno.json declares them: a description each, the narrow permissions of the fleet tasks
 * (their --help and --list-hosts work under them, anything else is refused by Deno), every flag's help
 * line and example, and "did you mean" for a mistyped flag.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { closest, editDistance } from "../../lib/base/suggest.ts";
import { commonFlags, helpText } from "../../lib/engine/cli.ts";
import { projectRoot } from "../../lib/inventory/load.ts";
import { pool } from "../../lib/base/pool.ts";
import { cli } from "../helpers/cli.ts";
import { declaredRun, declaredTasks, expandVars } from "../helpers/tasks.ts";
import { spoolDir } from "../../lib/containers/layer_tar.ts";

/** The fleet tasks: every task whose command runs one entry file without -A. */
const fleet = declaredTasks().filter((t) => !/\s(-A|--allow-all)\b/.test(t.command));
const fileOf = (command: string) => command.split(/\s+/).at(-1)!.replace(/^tasks\//, "");

Deno.test("edit distance: a swap, an insertion, a deletion and a replacement cost one each", () => {
  assert.equal(editDistance("--limti", "--limit"), 1);
  assert.equal(editDistance("--limitt", "--limit"), 1);
  assert.equal(editDistance("--lmit", "--limit"), 1);
  assert.equal(editDistance("--limut", "--limit"), 1);
  assert.equal(editDistance("--json", "--prod"), 3);
  assert.equal(closest("--limti", ["--list-hosts", "--limit", "--json"]), "--limit");
  assert.equal(closest("--frobnicate", ["--limit", "--json", "--forks"]), undefined);
});

Deno.test("--help: every shared flag with its line and an example naming the task", () => {
  const text = helpText("deploy", { serial: { type: "string", value: "N", help: "batches", example: "x" } });
  for (const [name, f] of Object.entries(commonFlags)) {
    const at = text.indexOf(
      `  ${"short" in f ? `-${f.short}, ` : ""}--${name}${"value" in f ? ` ${f.value}` : ""}`,
    );
    assert.ok(at > 0, `--${name} missing from the help`);
    const [line, example] = text.slice(at).split("\n");
    assert.ok(line.endsWith(f.help), line);
    assert.equal(example.trim(), `e.g. ${f.example.replaceAll("TASK", "deploy")}`);
  }
  assert.match(text, /--serial N +batches\n +e\.g\. x/);
});

Deno.test("deno.json: every task has a description, and `deno task` prints each", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task"],
    cwd: projectRoot,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  for (const t of declaredTasks()) {
    assert.ok(t.description.length > 20, `task ${t.name} has no description`);
    assert.ok(text.includes(`// ${t.description}`), `deno task does not print ${t.name}'s description`);
  }
  // The ones that keep every permission say why.
  for (const t of declaredTasks().filter((t) => !fleet.some((f) => f.name === t.name))) {
    assert.match(t.description, /all permissions: /, t.name);
  }
});

Deno.test("deno.json: the fleet tasks declare narrow permissions, and -A is not among them", () => {
  assert.ok(fleet.length >= 13, fleet.map((t) => t.name).join(", "));
  for (const t of fleet) {
    const { flags } = declaredRun(fileOf(t.command));
    assert.ok(flags.length > 0 && flags.every((f) => f.startsWith("--allow-")), `${t.name}: ${flags}`);
    assert.ok(
      flags.includes("--allow-run=ssh,sh"),
      `${t.name} may start ssh and the secrets command's sh only`,
    );
    assert.ok(flags.some((f) => f.startsWith("--allow-read=.,")), t.name);
    assert.ok(flags.some((f) => f.startsWith("--allow-write=")), t.name);
  }
});

Deno.test("the declared command lines expand as deno task's own shell does, and name no ${…}", async () => {
  // deno task itself, on a task echoing each form: what the tests' expansion must match.
  const dir = await Deno.makeTempDir({ prefix: "isa-task-shell-" });
  try {
    const words = ["$HOME/.ssh", "$ISA_UNSET_VAR", "${HOME}", "${XDG_RUNTIME_DIR:-/nonexistent}"];
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ tasks: { show: `echo ${words.map((w) => `"${w}"`).join(" ")}` } }),
    );
    const env = { HOME: "/home/op", NO_COLOR: "1" };
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "show"],
      cwd: dir,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(
      new TextDecoder().decode(out.stdout).trim(),
      words.map((w) => expandVars(w, env)).join(" "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // So a `${…}` in a permission list would be a literal path, granting nothing.
  for (const t of fleet) assert.doesNotMatch(t.command, /\$\{/, t.name);
  // A task that may push (it writes the controller's Docker socket) may write where a layer is spooled
  // under these permissions (`spoolDir` without a writable $TMPDIR).
  const spool = spoolDir(undefined);
  for (const t of fleet.filter((t) => /--allow-write=\S*\/var\/run\/docker\.sock/.test(t.command))) {
    const { flags } = declaredRun(fileOf(t.command));
    const write = flags.find((f) => f.startsWith("--allow-write="))!.slice("--allow-write=".length).split(
      ",",
    );
    const read = flags.find((f) => f.startsWith("--allow-read="))!.slice("--allow-read=".length).split(",");
    assert.ok(write.includes(spool) && read.includes(spool), `${t.name} may not spool in ${spool}`);
  }
});

Deno.test("every fleet task answers --help and --list-hosts under its declared permissions", async () => {
  const runs = await pool(fleet, 4, async (t) => {
    const file = fileOf(t.command);
    const [help, list, typo] = await Promise.all([
      cli(file, ["--help"], {}, { declared: true }),
      cli(file, ["--list-hosts"], {}, { declared: true }),
      cli(file, ["--limti", "isaqal09"], {}, { declared: true }),
    ]);
    return { t, help, list, typo };
  });
  for (const { t, help, list, typo } of runs) {
    assert.equal(help.code, 0, `${t.name} --help: ${help.stderr}`);
    assert.match(help.stdout, /-l, --limit PATTERN +only the hosts/, t.name);
    assert.match(
      help.stdout,
      new RegExp(`e\\.g\\. deno task ${t.name}[^\\n]* --limit 'isaqal\\*,!isaqal10'`),
      t.name,
    );
    assert.equal(list.code, 0, `${t.name} --list-hosts: ${list.stderr}`);
    assert.equal(list.stdout, "isaqal09\nisaqal10\n", t.name);
    assert.equal(typo.code, 1, t.name);
    assert.match(typo.stderr, /unknown option --limti: did you mean --limit\?/, t.name);
  }
});

Deno.test("deno task itself runs a fleet task's --help under the declared flags", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "deploy", "--help"],
    cwd: projectRoot,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /-l, --limit PATTERN/);
  assert.match(stdout, /--serial N/);
});

Deno.test("a task reaching outside its declared permissions gets Deno's permission error", async () => {
  // The same inventory, copied where the tasks may not read: -A reads it, the declared flags don't.
  const dir = await Deno.makeTempDir({ prefix: "isa-perm-" });
  try {
    const inv = join(dir, "qual.yml");
    await Deno.copyFile(join(projectRoot, "inventory", "qual.yml"), inv);
    const [all, declared] = await Promise.all([
      cli("status.ts", ["--list-hosts", "--inventory", inv]),
      cli("status.ts", ["--list-hosts", "--inventory", inv], {}, { declared: true }),
    ]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, "isaqal09\nisaqal10\n");
    assert.equal(declared.code, 1);
    assert.match(
      declared.stderr,
      new RegExp(`Requires read access to "${inv}", run again with the --allow-read flag`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
