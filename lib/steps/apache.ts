import { applyScript, statusBlock, unmanagedStatusLocations, withBlock } from "../render/apache_block.ts";
import type { Change } from "../engine/change.ts";
import { RemoteError } from "../engine/errors.ts";
import { unifiedDiff } from "../engine/file_change.ts";
import { writeFileScript } from "../transport/ssh.ts";
import type { Step } from "../engine/step.ts";
import { ourSubnet } from "./docker.ts";

/** Step 4: the /server-status block, validated before a graceful reload, rolled back on failure. */
export const apacheStep: Step = {
  id: "apache",
  title: "Apache status block",
  plan: (ctx) => {
    const { ssh, facts } = ctx;
    const apache = facts.apache;
    if (!apache) throw new Error("no Apache httpd on this host");
    if (!apache.configOk) {
      throw new Error(`Apache's configuration is already broken, not touching it:\n${apache.configMessage}`);
    }
    // Read by the facts probe, in the same round trip as everything else.
    const current = apache.ourFile;
    const unmanaged = unmanagedStatusLocations(apache, current);
    if (unmanaged.length) {
      throw new Error(
        `an unmanaged <Location /server-status> exists; remove it or move it between our markers:\n  ` +
          unmanaged.join("\n  ") +
          (unmanaged.some((u) => u.includes("mods-enabled/status.conf"))
            ? "\n(Debian and Ubuntu ship one in mods-available/status.conf: delete its <Location> block there)"
            : ""),
      );
    }
    // Only our network's subnet, not every Docker network: with ExtendedStatus the page shows client
    // addresses, virtual hosts and full request URLs, none of other applications' containers' business.
    const subnet = ourSubnet(ctx.host.vars, facts);
    if (!subnet) {
      throw new Error(
        `Docker network ${ctx.host.vars.docker_network} does not exist yet, so its subnet is unknown: ` +
          `run the docker step first (deno task docker), or set docker_subnet`,
      );
    }
    const desired = withBlock(current, statusBlock(apache, [subnet]));
    const enable = {
      conf: apache.layout === "debian" && !apache.confEnabled,
      mod: apache.layout === "debian" && !apache.statusLoadEnabled,
    };
    if (desired === current && !enable.conf && !enable.mod) return Promise.resolve([]);
    const what = [
      desired !== current ? `${current === null ? "create" : "update"} ${apache.confFile}` : "",
      enable.conf ? "a2enconf EPFL_isa" : "",
      enable.mod ? "a2enmod status" : "",
    ].filter(Boolean).join(", ");
    const change: Change = {
      summary: `${what}; apachectl -t; graceful reload of ${apache.service}`,
      diff: desired !== current ? unifiedDiff(apache.confFile, current, desired) : undefined,
      apply: async () => {
        const write = writeFileScript(apache.confFile, desired, { mode: 0o644 });
        try {
          const r = await ssh.run(applyScript(apache, write, enable), {
            log: `write ${apache.confFile}; validate; reload`,
          });
          if (r.stdout.includes("not-running")) {
            ctx.progress(`${apache.service} is not running: file written, no reload`);
          }
        } catch (e) {
          if (e instanceof RemoteError && e.code === 3) {
            throw new Error(
              `apachectl -t rejected the new configuration; previous file restored, Apache untouched:\n${e.stderr.trim()}`,
            );
          }
          throw e;
        }
      },
    };
    return Promise.resolve([change]);
  },
};
