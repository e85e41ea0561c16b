import assert from "node:assert/strict";
import {
  BEGIN,
  END,
  statusBlock,
  unmanagedStatusLocations,
  withBlock,
  withoutBlock,
} from "../../lib/render/apache_block.ts";
import type { ApacheFacts } from "../../lib/facts/facts.ts";

const rhel: ApacheFacts = {
  binary: "/usr/sbin/httpd",
  ctl: "/usr/sbin/httpd",
  options: "",
  configFile: "/etc/httpd/conf/httpd.conf",
  includes: ["/etc/httpd/conf/httpd.conf"],
  service: "httpd",
  confDir: "/etc/httpd/conf.d",
  confFile: "/etc/httpd/conf.d/EPFL_isa.conf",
  layout: "rhel",
  version: "2.4.37",
  mpm: "event",
  statusModule: true,
  authzCore: true,
  extendedStatus: true,
  running: true,
  configOk: true,
  configMessage: "",
  statusLocations: [],
  ourFile: null,
  confEnabled: false,
  statusLoadEnabled: true,
};

Deno.test("the block opens /server-status to localhost and the Docker networks only", () => {
  const b = statusBlock(rhel, ["172.18.0.0/16", "172.17.0.0/16"]);
  assert.ok(b.startsWith(BEGIN + "\n") && b.endsWith(END + "\n"));
  assert.match(
    b,
    /<Location \/server-status>\n {2}SetHandler server-status\n {2}Require local\n {2}Require ip 172\.17\.0\.0\/16 172\.18\.0\.0\/16\n<\/Location>/,
  );
  assert.match(b, /^ExtendedStatus On$/m);
  assert.doesNotMatch(b, /LoadModule/, "mod_status already loaded");
  assert.doesNotMatch(b, /Allow from/);
});

Deno.test("2.2-era syntax only without mod_authz_core; LoadModule on RHEL without mod_status", () => {
  const b = statusBlock({ ...rhel, authzCore: false, statusModule: false }, ["172.17.0.0/16"]);
  assert.match(b, /Order Deny,Allow\n {2}Deny from all\n {2}Allow from 127\.0\.0\.1 ::1 172\.17\.0\.0\/16/);
  assert.match(
    b,
    /<IfModule !status_module>\n {2}LoadModule status_module modules\/mod_status\.so\n<\/IfModule>/,
  );
  assert.doesNotMatch(statusBlock({ ...rhel, layout: "debian", statusModule: false }, []), /LoadModule/);
});

Deno.test("the block is replaced in place; the rest of the file stays byte for byte", () => {
  const block = statusBlock(rhel, ["172.17.0.0/16"]);
  const head = "# operator's own lines\r\nHeader set X-Site isa\n\n";
  const tail = "\n# after us\nKeepAlive On";
  const old = `${head}${BEGIN}\nold stuff\n${END}\n${tail}`;
  const updated = withBlock(old, block);
  assert.equal(updated, `${head}${block}${tail}`);
  assert.equal(withBlock(updated, block), updated, "idempotent");
  assert.equal(withBlock(null, block), block);
  assert.equal(withBlock("KeepAlive On", block), `KeepAlive On\n${block}`);
  assert.equal(withoutBlock(updated), `${head}${tail}`);
  assert.throws(() => withBlock(`${BEGIN}\n${BEGIN}\n${END}\n`, block), /unbalanced/);
});

Deno.test("unmanaged <Location /server-status> anywhere is found; ours is not", () => {
  const ours = `${BEGIN}\n<Location /server-status>\n</Location>\n${END}\n`;
  assert.deepEqual(unmanagedStatusLocations(rhel, ours), []);
  const found = unmanagedStatusLocations(
    {
      ...rhel,
      statusLocations: [
        "/etc/httpd/conf.d/status.conf:3:<Location /server-status>",
        "/etc/httpd/conf.d/EPFL_isa.conf:2:<Location /server-status>",
      ],
    },
    `<Location "/server-status">\n</Location>\n${ours}`,
  );
  assert.deepEqual(found, [
    "/etc/httpd/conf.d/status.conf:3:<Location /server-status>",
    `/etc/httpd/conf.d/EPFL_isa.conf:1:<Location "/server-status">`,
  ]);
});
