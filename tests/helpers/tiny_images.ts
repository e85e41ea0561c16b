/** Tiny test images for the controller's engine: one static C program each (gcc, docker import). */
import $ from "dax";
import type Docker from "dockerode";

/** Sleeps until SIGTERM. */
export const SLEEPER_C =
  "#include <signal.h>\n#include <unistd.h>\nstatic void bye(int s) { (void)s; _exit(0); }\n" +
  "int main(void) { signal(SIGTERM, bye); signal(SIGINT, bye); for (;;) pause(); }\n";

/** Says why on stderr, then exits 3: an entrypoint that fails at once. */
export const FAILING_C =
  '#include <stdio.h>\nint main(void) { fputs("isa-test: failing on purpose\\n", stderr); ' +
  "return 3; }\n";

/** Builds `ref` from `source` (ENTRYPOINT the program) unless the engine has it. */
export async function ensureTinyImage(docker: Docker, ref: string, source: string): Promise<void> {
  try {
    await docker.getImage(ref).inspect();
    return;
  } catch { /* build it */ }
  const dir = await Deno.makeTempDir({ prefix: "isa-test-img-" });
  try {
    await Deno.writeTextFile(`${dir}/p.c`, source);
    await $`gcc -static -Os -s -o ${dir}/prog ${dir}/p.c`;
    await $`tar -C ${dir} -cf ${dir}/img.tar prog`;
    await $`docker import --change ${'ENTRYPOINT ["/prog"]'} ${dir}/img.tar ${ref}`.quiet();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
