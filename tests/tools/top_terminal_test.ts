/**
 * The live view of `deno task top` on a real terminal (util-linux `script` gives it a pseudo-terminal):
 * alternate screen and hidden cursor while it runs, `q` leaves it with both restored; an unreachable
 * host is shown in place.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";

const hasScript = await $.commandExists("script");

Deno.test({
  name:
    "top on a terminal: q or Ctrl-C restores the screen and the cursor; an unreachable host is shown, no crash",
  ignore: !hasScript,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "isa-top-" });
    // A port nobody listens on: ssh is refused at once.
    const l = Deno.listen({ hostname: "127.0.0.78", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    try {
      const file = join(dir, "inv.yml");
      await Deno.writeTextFile(
        join(dir, "secrets.yml"),
        "frontend:\n  credentials:\n    - user: isa\n      pass: not-a-real-password-1\n",
        { mode: 0o600 },
      );
      await Deno.writeTextFile(
        file,
        `deployment: qual\nsecrets:\n  file: secrets.yml\nhosts:\n  web1:\n    address: 127.0.0.78\n    port: ${port}\n`,
      );
      const command = ["deno", "run", "-A", join(projectRoot, "tasks", "top.ts"), "--inventory", file]
        .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
      // A key typed after the first frame had time to draw: `q`, then Ctrl-C (in raw mode, byte 3).
      for (const key of ["q", "\\003"]) {
        const r = await $`sh -c ${`(sleep 4; printf '${key}') | script -qec ${
          $.escapeArg(command)
        } /dev/null`}`
          .cwd(projectRoot).stdout("piped").stderr("piped").timeout("40s").noThrow();
        const out = r.stdout + r.stderr;
        assert.ok(out.includes("\x1b[?1049h\x1b[?25l"), "alternate screen and hidden cursor");
        assert.match(out, /web1\s+\S*UNREACHABLE/);
        const restored = out.lastIndexOf("\x1b[?25h\x1b[?1049l");
        assert.ok(restored > out.indexOf("UNREACHABLE"), "cursor and screen restored after the last frame");
        // Exit code of the shared rule: the only host was unreachable.
        assert.equal(r.code, 4, out);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
