import { statusBlock, unmanagedStatusLocations, withBlock } from "../render/apache_block.ts";
import type { Change } from "../engine/change.ts";
import { RemoteError } from "../base/errors.ts";
import { unifiedDiff } from "../engine/file_change.ts";
import type { ApacheFacts } from "../facts/facts.ts";
import { type ApacheEdit, changeApache, writeEdit } from "../commands/apache.ts";
import { exec } from "../transport/exec.ts";
import type { HostContext, Step } from "./step.ts";
import { ourSubnet } from "./docker.ts";
import { APACHE_CONF_NAME } from "../base/names.ts";

/** Runs an Apache change script; a rejected configuration becomes one clear error (`what` says what was tried). */
export async function runApacheChange(
  ctx: HostContext,
  apache: ApacheFacts,
  edit: ApacheEdit,
  what: string,
): Promise<void> {
  try {
    const r = await exec(ctx.ssh, changeApache(apache, edit, what));
    if (r.stdout.includes("not-running")) {
      ctx.progress(`${apache.service} is not running: file changed, no reload`);
    }
  } catch (e) {
    if (e instanceof RemoteError && e.code === 3) {
      throw new Error(
        `${apache.ctl} -t rejected the configuration (${what}); our file restored, Apache untouched:\n${e.stderr.trim()}`,
      );
    }
    throw e;
  }
}

/** Step 4: the /server-status block, validated before a graceful reload, rolled back on failure. */
export const apacheStep: Step = {
  id: "apache",
  plan: (ctx) => {
    const { facts } = ctx;
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
    if (!subnet && ctx.opts.check) {
      // A check run on a fresh host: the docker step would create the network (and refresh the facts)
      // before this step runs, so its subnet only exists then.
      return Promise.resolve([{
        summary: `write ${apache.confFile} allowing localhost and the subnet Docker gives network ` +
          `${ctx.host.vars.docker_network} (created by the docker step); ${apache.ctl} -t; graceful reload`,
        apply: () => Promise.reject(new Error("planned in check mode only")),
      }]);
    }
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
      enable.conf ? `a2enconf ${APACHE_CONF_NAME}` : "",
      enable.mod ? "a2enmod status" : "",
    ].filter(Boolean).join(", ");
    const change: Change = {
      summary: `${what}; ${apache.ctl} -t; graceful reload of ${apache.service}`,
      diff: desired !== current ? unifiedDiff(apache.confFile, current, desired) : undefined,
      apply: () => runApacheChange(ctx, apache, writeEdit(apache, desired, enable), what),
    };
    return Promise.resolve([change]);
  },
};
