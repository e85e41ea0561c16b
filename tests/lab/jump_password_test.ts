/**
 * Issue 24, item 4: a bastion that asks for a password fails the run fast, the host named unreachable,
 * instead of waiting at the prompt. With `ssh -J` the hop's ssh got no BatchMode (ssh.c passes it only
 * -l -p -J -F -v) and, on a terminal, asked; the tool's ProxyCommand gives every hop BatchMode.
 *
 * The run gets a terminal (util-linux `script`), as an operator's has: without one ssh could not prompt
 * and would fail whatever its options, which would prove nothing.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { bastionVariant, lab } from "../helpers/lab.ts";
import { projectRoot } from "../../lib/inventory/load.ts";
import { quote } from "../../lib/base/quote.ts";
import { until } from "../helpers/until.ts";

const HOST = "isaqal09";
/** A bastion user whom sshd offers password authentication (and no key of ours opens). */
const PW_USER = "isa-pw";
const BASTION = "isa-lab-bastion";

/** Runs a command as root in the bastion's container. */
const inBastion = (script: string) => $`docker exec ${BASTION} sh -c ${script}`.quiet();

Deno.test("a jump host that asks for a password: the host is unreachable within the connect timeout, named", async () => {
  const info = await lab();
  await inBastion(
    `id -u ${PW_USER} >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin ${PW_USER}
echo "${PW_USER}:$(head -c 18 /dev/urandom | base64)" | chpasswd
printf 'Match User ${PW_USER}\\n  PasswordAuthentication yes\\n  KbdInteractiveAuthentication yes\\n' \\
  > /etc/ssh/sshd_config.d/isa-lab-pw.conf
systemctl reload ssh`,
  );
  try {
    // The bastion really offers a password to that user: sshd lists the method when it refuses. Asked
    // again while the reloaded sshd is not back yet (it resets the connection during its re-exec).
    const asked = await until("the reloaded bastion sshd answers", 20_000, async () => {
      const r =
        await $`ssh -F ${info.sshConfig} -o BatchMode=yes -o ConnectTimeout=5 -l ${PW_USER} ${info.bastion.alias} true`
          .stdin("null").captureCombined().quiet().noThrow();
      return /kex_exchange_identification|Connection (reset|refused|closed)/.test(r.combined) ? undefined : r;
    }, 300);
    assert.notEqual(asked.code, 0);
    assert.match(asked.combined, /Permission denied \([^)]*password/);

    const base = await bastionVariant(info, HOST);
    const inv = join(info.dir, "variant-jump-password.yml");
    const text = await Deno.readTextFile(base);
    assert.ok(text.includes(`jump: ${info.bastion.alias}\n`), "the bastion variant names the jump host");
    await Deno.writeTextFile(
      inv,
      text.replace(`jump: ${info.bastion.alias}\n`, `jump: ${PW_USER}@${info.bastion.alias}\n`),
    );

    const deno = [Deno.execPath(), "run", "-A", join(projectRoot, "tasks", "01_facts.ts")];
    const cmd = [...deno, "--inventory", inv, "--limit", HOST].map(quote).join(" ");
    const t0 = performance.now();
    // stdin stays open (piped, never written): a prompt would wait on the terminal until the timeout.
    const child = new Deno.Command("script", {
      args: ["-qefc", cmd, "/dev/null"],
      cwd: projectRoot,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).spawn();
    const out = await child.output();
    const seconds = (performance.now() - t0) / 1000;
    const text2 = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.signal, null, `killed after ${seconds} s: the run waited at a prompt\n${text2}`);
    assert.equal(out.code, 4, text2);
    assert.match(text2, new RegExp(`^${HOST}\\s+unreachable\\s+ok=0 changed=0 failed=0 unreachable=1`, "m"));
    // What the tool shows is the last line of ssh's stderr: the main ssh's, whose proxy (the refused
    // hop) closed the connection.
    assert.match(
      text2,
      new RegExp(`${HOST}\\s+connect\\s+unreachable: ${HOST}: .*(Permission denied|Connection closed)`),
    );
    assert.doesNotMatch(text2, /password:/i, "no prompt was shown");
    assert.ok(seconds < 60, `took ${seconds} s`);
  } finally {
    await inBastion(
      `rm -f /etc/ssh/sshd_config.d/isa-lab-pw.conf; systemctl reload ssh; userdel -r ${PW_USER} 2>/dev/null || true`,
    );
  }
});
