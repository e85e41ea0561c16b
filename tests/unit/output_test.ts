import assert from "node:assert/strict";
import { printable, say, sgr, terminalLine, warn } from "../../lib/base/output.ts";

Deno.test("printable: remote text cannot drive the terminal; newlines, tabs and UTF-8 stay", () => {
  assert.equal(printable("busy alice@ctl pid 42\n\tsince now ✓"), "busy alice@ctl pid 42\n\tsince now ✓");
  assert.equal(printable("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b", "escape and bell");
  assert.equal(printable("done\rFAKE ok"), "done\\x0dFAKE ok", "a bare carriage return can't overwrite");
  assert.equal(printable("line\r\nnext"), "line\nnext");
  assert.equal(printable("x\b\x7f\x9b2Jy"), "x\\x08\\x7f\\x9b2Jy", "backspace, DEL and C1 CSI");
  assert.equal(printable("ok \u202egnp.exe"), "ok \\u202egnp.exe", "bidirectional override");
  const every = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join("");
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(printable(every)), "no control character survives");
});

Deno.test("say/warn escape remote text once, for every caller; our own colours still reach the terminal", () => {
  const remote = "curl: (7) \x1b[2J\x1b[1;1Hall good\x1b]0;owned\x07 \u202eevil";
  const line = terminalLine(`  ✗ 3. target up: error: ${remote} ${sgr(31, "FAILED")}`);
  assert.ok(!line.includes("\x1b[2J") && !line.includes("\x1b]0;") && !line.includes("\x07"));
  assert.ok(line.includes("curl: (7) \\x1b[2J\\x1b[1;1Hall good\\x1b]0;owned\\x07 \\u202eevil"));
  assert.ok(line.endsWith("\x1b[31mFAILED\x1b[0m"), "our colour is a real SGR sequence");
  // A host that sends what looks like our colour gets it escaped: only this process knows the token.
  assert.equal(terminalLine("\x1b[32mok\x1b[0m"), "\\x1b[32mok\\x1b[0m");
});

Deno.test("say and warn print through terminalLine (no call site has to escape)", () => {
  const out: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (s: string) => out.push(`out ${s}`);
  console.error = (s: string) => out.push(`err ${s}`);
  try {
    say("lastError: \x1b[2Jgone");
    warn("error: \x9b2Jgone");
  } finally {
    [console.log, console.error] = [log, error];
  }
  assert.deepEqual(out, ["out lastError: \\x1b[2Jgone", "err error: \\x9b2Jgone"]);
});
