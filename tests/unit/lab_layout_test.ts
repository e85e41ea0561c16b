import assert from "node:assert/strict";
import {
  BASTION,
  hostFlavour,
  hostName,
  networkAddress,
  OPS_USER,
  recipeDir,
  recipeDirs,
  suiteOf,
} from "../../lib/lab/layout.ts";
import { knownHostsText, sshConfigText } from "../../lib/lab/ssh.ts";
import { bastionSetupScript, hostAccessScript } from "../../lib/lab/access.ts";
import { hostImageRef } from "../../lib/lab/host_image.ts";

Deno.test("default lab: isaqal09 Debian 12, isaqal10 RHEL-shaped, isaqal11 Debian 13, further hosts Debian 12", () => {
  assert.deepEqual([1, 2, 3, 4].map((i) => [hostName(i), hostFlavour(hostName(i))]), [
    ["isaqal09", "debian"],
    ["isaqal10", "rhel"],
    ["isaqal11", "trixie"],
    ["isaqal12", "debian"],
  ]);
  assert.match(recipeDir("debian"), /\/files\/lab\/host$/);
  assert.match(recipeDir("rhel"), /\/files\/lab\/host-rhel$/);
  // Debian 13 is the Debian recipe on trixie, with its own folder laid over it.
  assert.deepEqual(recipeDirs("trixie").map((d) => d.replace(/.*\/files\//, "")), [
    "lab/host",
    "lab/host-trixie",
  ]);
  assert.deepEqual((["debian", "trixie", "rhel", "light"] as const).map(suiteOf), [
    "bookworm",
    "trixie",
    "bookworm",
    "bookworm",
  ]);
});

Deno.test("each flavour's image tag hashes its own recipe", async () => {
  const deb = await hostImageRef("debian");
  const rhel = await hostImageRef("rhel");
  const trixie = await hostImageRef("trixie");
  assert.match(trixie, /^isa-lab\/host-trixie:[0-9a-f]{12}$/);
  assert.notEqual(trixie.split(":")[1], deb.split(":")[1]);
  assert.match(deb, /^isa-lab\/host:[0-9a-f]{12}$/);
  assert.match(rhel, /^isa-lab\/host-rhel:[0-9a-f]{12}$/);
  assert.notEqual(deb.split(":")[1], rhel.split(":")[1]);
});

Deno.test("known_hosts pins hosts and bastion by loopback and lab-network address", () => {
  const text = knownHostsText(
    [{ name: "isaqal09", publicKey: "ssh-ed25519 AAAAhost c" }],
    "ssh-ed25519 AAAAbast x",
  );
  assert.deepEqual(text.split("\n").filter(Boolean), [
    `127.0.10.9,[127.0.10.9]:22,${networkAddress("isaqal09")} ssh-ed25519 AAAAhost`,
    `${BASTION.loopback},[${BASTION.loopback}]:22,${BASTION.address} ssh-ed25519 AAAAbast`,
  ]);
});

Deno.test("ssh_config: hosts as root directly; the bastion as its jump user; lab-network addresses keyed", () => {
  const cfg = sshConfigText(["isaqal09", "isaqal10"]);
  assert.match(cfg, /\nHost isaqal09\n {2}HostName 127\.0\.10\.9\n {2}Port 22\n {2}User root\n/);
  assert.match(
    cfg,
    new RegExp(`\\nHost ${BASTION.alias}\\n {2}HostName ${BASTION.loopback.replace(/\./g, "\\.")}\\n`),
  );
  assert.match(cfg, /\n {2}User jump\n/);
  const net = cfg.slice(cfg.indexOf("Host 10.209.9.*"));
  assert.ok(net.length > 0, "a block for the lab-network addresses");
  assert.match(net, /IdentityFile .*id_ed25519/);
  assert.match(net, /StrictHostKeyChecking yes/);
  assert.doesNotMatch(net, /User root/, "the user comes from the inventory (the ops user)");
});

Deno.test("host access: the ops user has password-less sudo, no docker group, and only the bastion's address", () => {
  const s = hostAccessScript("ssh-ed25519 AAAAkey isa-lab controller");
  assert.ok(s.includes(`'${OPS_USER} ALL=(ALL) NOPASSWD: ALL'`));
  assert.ok(s.includes(`'AllowUsers root ${OPS_USER}@${BASTION.address}'`));
  assert.doesNotMatch(s, /groupadd|usermod -aG/);
  assert.match(s, /grep -qx docker; then gpasswd -d isaops docker/);
  assert.match(s, /put \/etc\/sudoers\.d\/isa-lab-ops 440 root:root/);
  const b = bastionSetupScript("ssh-ed25519 AAAAkey");
  assert.match(b, /systemctl mask --now apache2\.service/);
  assert.match(b, /useradd -m -s \/usr\/sbin\/nologin jump/);
  assert.ok(b.includes("'  AllowTcpForwarding yes'"));
});
