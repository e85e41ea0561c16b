import assert from "node:assert/strict";
import { printable } from "../../lib/base/output.ts";

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
