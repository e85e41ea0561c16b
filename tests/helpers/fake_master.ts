/**
 * Plants the old attack on the SSH control folder, then runs the tool's SSH engine against a lab host
 * and prints what happened as JSON. Meant to run in a private mount namespace whose /tmp is an empty
 * tmpfs (tests/lab/hardening_test.ts starts it with `unshare -m`), so the folder planted here is never
 * seen by another run on this machine.
 *
 * Usage: deno run -A tests/helpers/fake_master.ts <inventory> <host>
 */
import $ from "dax";
import { loadInventory } from "../../lib/inventory/load.ts";
import { Ssh } from "../../lib/transport/ssh.ts";

const [inventory, name] = Deno.args;
const host = (await loadInventory(inventory)).hosts.find((h) => h.name === name);
if (!host) throw new Error(`no host ${name} in ${inventory}`);

// What another local user did: the folder the tool used to trust, world-writable, with a listening
// socket at the ControlPath the tool used to compute (ssh -G expands %C; the first -o wins).
const planted = `/tmp/isa-ssh-${Deno.uid()}`;
await Deno.mkdir(planted);
await Deno.chmod(planted, 0o777);
const ssh = new Ssh(host);
const g = await $`ssh -G -o ${`ControlPath=${planted}/%C`} ${ssh.sshArgs()} -- ${host.ssh.address}`.text();
const socket = /^controlpath (.+)$/m.exec(g)![1];
const listener = Deno.listen({ transport: "unix", path: socket });
await Deno.chmod(socket, 0o777);
let connections = 0;
(async () => {
  try {
    for await (const c of listener) {
      connections++;
      c.close();
    }
  } catch { /* closed */ }
})();

let hostname = "";
let error = "";
try {
  await ssh.open();
  hostname = (await ssh.run("cat /etc/hostname")).stdout.trim();
  // The Docker forward goes to the control folder too.
  await ssh.dockerSocketPath();
} catch (e) {
  error = e instanceof Error ? e.message : String(e);
}
await ssh.close();
listener.close();
console.log(JSON.stringify({
  socket,
  connections,
  hostname,
  error,
  controlDir: ssh.controlDir,
  plantedEntries: [...Deno.readDirSync(planted)].map((e) => e.name),
}));
Deno.exit(0);
