/**
 * The lab's central store on VictoriaMetrics: Debian's victoria-metrics (single node; same write and
 * query API as the cluster version) in a container on the lab network, behind basic auth. The lab
 * hosts' Prometheus write to VICTORIA.ip through their host's NAT.
 */
import $ from "dax";
import { type AppSpec, ensureAppImage } from "./app_images.ts";
import { LAB_LABEL, NETWORK, VICTORIA } from "./layout.ts";

export { VICTORIA };

const SPEC: AppSpec = {
  key: "victoria-metrics",
  repo: "isa-lab/victoria-metrics",
  deb: "victoria-metrics",
  // The current line (sid); its binary links libc and libzstd, which the image takes from the controller.
  suite: "sid",
  recipe: "sid1",
  binaries: { "usr/bin/victoria-metrics": "bin/victoria-metrics" },
  extraFiles: {},
  dataDirs: ["victoria-metrics-data"],
  changes: [
    'ENTRYPOINT ["/bin/victoria-metrics"]',
    'CMD ["-storageDataPath=/victoria-metrics-data"]',
    "USER 65534",
    "EXPOSE 8428",
  ],
  // Go's flag package: one dash (`--version` would work too).
  versionFlag: "-version",
};

/** The lab's VictoriaMetrics image (built from Debian's package unless present). */
export function victoriaImage(log: (line: string) => void): Promise<string> {
  return ensureAppImage(SPEC, log);
}

/** URLs of a running lab VictoriaMetrics. */
export interface LabVictoria {
  /** Prometheus remote-write endpoint (`/api/v1/write`: VictoriaMetrics README.md "Prometheus setup" at v1.79.5). */
  writeUrl: string;
  /** Base of its Prometheus query API (`/api/v1/query`, `/api/v1/query_range`). */
  queryUrl: string;
}

/**
 * (Re)creates the lab's VictoriaMetrics with basic auth on every endpoint (`-httpAuth.username`,
 * `-httpAuth.password`: README.md at v1.79.5 and the binary's `-help`; /health stays open,
 * lib/httpserver/httpserver.go). VictoriaMetrics 1.79 reads
 * the password only from its flag: a random per-test lab password, visible in this lab container's
 * `docker inspect` on the controller, never on a lab host.
 */
export async function startVictoria(
  user: string,
  password: string,
  log: (line: string) => void = () => {},
): Promise<LabVictoria> {
  const image = await victoriaImage(log);
  await removeVictoria();
  const run = [
    ["run", "-d", "--name", VICTORIA.container, "--label", `${LAB_LABEL}=victoria-metrics`],
    ["--network", NETWORK.name, "--ip", VICTORIA.ip, image],
    ["-storageDataPath=/victoria-metrics-data", "-retentionPeriod=1d"],
    [`-httpListenAddr=:${VICTORIA.port}`, `-httpAuth.username=${user}`, `-httpAuth.password=${password}`],
  ].flat();
  await $`docker ${run}`.quiet();
  const base = `http://${VICTORIA.ip}:${VICTORIA.port}`;
  return { writeUrl: `${base}/api/v1/write`, queryUrl: base };
}

/** Stops it (SIGTERM: it flushes what it holds in memory); its data stays in the container. */
export async function stopVictoria(): Promise<void> {
  await $`docker stop ${VICTORIA.container}`.quiet();
}

/** Starts it again after {@link stopVictoria}. */
export async function resumeVictoria(): Promise<void> {
  await $`docker start ${VICTORIA.container}`.quiet();
}

/** Removes the lab's VictoriaMetrics container and its data (nothing when absent). */
export async function removeVictoria(): Promise<void> {
  await $`docker rm -f -v ${VICTORIA.container}`.quiet().noThrow();
}
