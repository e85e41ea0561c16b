/**
 * The live view of `deno task top` on a real terminal (util-linux `script` gives it a pseudo-terminal):
 * alternate screen and hidden cursor while it runs, `q` leaves it with both restored; an unreachable
 * host is shown in place.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";

Deno.test({
  name:
    "top on a terminal: q or Ctrl-C restores the screen and the cursor; an unreachable host is shown, no crash",
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
      // `exec`: script runs the command through $SHELL; a shell left in between (dash, when SHELL is
      // unset as on CI) dies of the terminal's SIGINT itself and script reports 130, not top's code.
      const command = "exec " +
        ["deno", "run", "-A", join(projectRoot, "tasks", "top.ts"), "--inventory", file]
          .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
      // A key typed once the first frame is drawn (a slow start would otherwise take Ctrl-C before
      // top listens for it): `q`, then Ctrl-C (in raw mode, byte 3).
      const screen = join(dir, "screen");
      for (const key of ["q", "\\003"]) {
        await Deno.writeTextFile(screen, "");
        const typist =
          `i=0; until grep -q 'to quit' ${screen} || [ $i -ge 150 ]; do sleep 0.2; i=$((i+1)); done`;
        // script copies the terminal to stdout and, flushed at every write (-f), to the file polled above.
        const r = await $`sh -c ${`(${typist}; printf '${key}') | script -qfec ${
          $.escapeArg(command)
        } ${screen}`}`
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
