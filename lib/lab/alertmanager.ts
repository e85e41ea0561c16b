/**
 * The lab's Alertmanager: Debian's prometheus-alertmanager in a container on the lab network, serving
 * HTTPS (a certificate from a throw-away lab CA) with basic auth, and sending every alert to one
 * webhook. The lab hosts' Prometheus reach it at ALERTMANAGER.ip through their host's NAT.
 */
import { join } from "node:path";
import $ from "dax";
import { stringify } from "yaml";
import { hashPassword } from "../render/htpasswd.ts";
import { type AppSpec, ensureAppImage } from "./app_images.ts";
import { ALERTMANAGER, LAB_LABEL, NETWORK } from "./layout.ts";
import { issueServerCertificate } from "./pki.ts";

export { ALERTMANAGER };

const SPEC: AppSpec = {
  key: "alertmanager",
  repo: "isa-lab/alertmanager",
  deb: "prometheus-alertmanager",
  // The current line (sid), as production would run it; its binary links only libc.
  suite: "sid",
  recipe: "sid1",
  binaries: {
    "usr/bin/prometheus-alertmanager": "bin/alertmanager",
    // Debian's build reads its notification templates from here instead of embedding them.
    "usr/share/prometheus/alertmanager/default.tmpl": "usr/share/prometheus/alertmanager/default.tmpl",
    "usr/share/prometheus/alertmanager/email.tmpl": "usr/share/prometheus/alertmanager/email.tmpl",
  },
  extraFiles: {},
  dataDirs: ["alertmanager"],
  changes: ['ENTRYPOINT ["/bin/alertmanager"]', "USER nobody", "EXPOSE 9093", "WORKDIR /alertmanager"],
};

/** The lab's Alertmanager image (built from Debian's package unless present). */
export function alertmanagerImage(log: (line: string) => void): Promise<string> {
  return ensureAppImage(SPEC, log);
}

/** A running lab Alertmanager. */
export interface LabAlertmanager {
  /** Its base URL as the lab hosts (and this machine) reach it. */
  url: string;
  /** PEM of the CA that signed its certificate (the `alerting.ca_file` to give Prometheus). */
  caFile: string;
}

/** Options of {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /** Folder for its config, certificate and key (the caller removes it). */
  dir: string;
  /** Where every alert goes (a listener the test runs on the lab network's gateway). */
  webhookUrl: string;
  /** Basic-auth user and password Prometheus must send. */
  user: string;
  password: string;
  log?: (line: string) => void;
}

/** Makes a CA and a server certificate for the Alertmanager's lab address, in `dir`. */
function certificates(dir: string): Promise<void> {
  return issueServerCertificate(dir, "isa-lab alerting CA", "am", { ip: [ALERTMANAGER.ip] });
}

/**
 * (Re)starts the lab's Alertmanager: HTTPS on ALERTMANAGER.ip:9093 with basic auth, one route to the
 * webhook with short grouping waits (so a test sees alerts within seconds), clustering off.
 */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<LabAlertmanager> {
  const image = await alertmanagerImage(o.log ?? (() => {}));
  await certificates(o.dir);
  await Deno.writeTextFile(
    join(o.dir, "web.yml"),
    stringify({
      tls_server_config: { cert_file: "/etc/am/am.pem", key_file: "/etc/am/am.key" },
      basic_auth_users: { [o.user]: await hashPassword(o.password) },
    }),
  );
  await Deno.writeTextFile(
    join(o.dir, "alertmanager.yml"),
    stringify({
      route: {
        receiver: "test",
        // One notification per alert and host, sent a second after it arrives.
        group_by: ["alertname", "host"],
        group_wait: "1s",
        group_interval: "1s",
        repeat_interval: "1m",
      },
      receivers: [{ name: "test", webhook_configs: [{ url: o.webhookUrl, send_resolved: true }] }],
    }),
  );
  await removeAlertmanager();
  const run = [
    // As root, like the lab's receiver: its folder (a 0700 temp dir) and key stay unreadable to others.
    ["run", "-d", "--name", ALERTMANAGER.container, "--label", `${LAB_LABEL}=alertmanager`, "--user", "0:0"],
    ["--network", NETWORK.name, "--ip", ALERTMANAGER.ip],
    ["--mount", `type=bind,source=${o.dir},target=/etc/am,readonly`, image],
    ["--config.file=/etc/am/alertmanager.yml", "--web.config.file=/etc/am/web.yml"],
    ["--storage.path=/alertmanager", "--cluster.listen-address="],
  ].flat();
  await $`docker ${run}`.quiet();
  return { url: `https://${ALERTMANAGER.ip}:${ALERTMANAGER.port}`, caFile: join(o.dir, "ca.pem") };
}

/** Removes the lab's Alertmanager container (nothing when absent). */
export async function removeAlertmanager(): Promise<void> {
  await $`docker rm -f ${ALERTMANAGER.container}`.quiet().noThrow();
}
