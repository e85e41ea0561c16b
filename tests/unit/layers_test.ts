import * as assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  importCycles,
  type ImportGraph,
  importSpecifiers,
  layerOf,
  LAYERS,
  upwardImports,
} from "../../lib/layers.ts";

const LIB = fileURLToPath(new URL("../../lib/", import.meta.url));

/** Every .ts file under lib/, relative to lib/ (`facts/probe.ts`). */
async function libFiles(dir = LIB): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await libFiles(path));
    else if (e.name.endsWith(".ts")) out.push(relative(LIB, path));
  }
  return out.sort();
}

/** The import graph of lib/: relative imports resolved to lib/ files; npm: and files outside lib/ left out. */
async function libGraph(): Promise<ImportGraph> {
  const graph: ImportGraph = new Map();
  for (const file of await libFiles()) {
    const source = await Deno.readTextFile(join(LIB, file));
    const targets = importSpecifiers(source)
      .filter((s) => s.startsWith("."))
      .map((s) => relative(LIB, join(LIB, file, "..", s)))
      .filter((t) => !t.startsWith("..") && t.endsWith(".ts"));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

Deno.test("layers: no import in lib/ goes up the layers, and no file loop", async () => {
  const graph = await libGraph();
  assert.ok(graph.size > 50, `lib/ read from ${LIB}`);
  const up = upwardImports(graph).map((u) => `${u.from} (${u.fromLayer}) → ${u.to} (${u.toLayer})`);
  const loops = importCycles(graph).map((c) => `loop among ${c.join(", ")}`);
  assert.deepEqual(
    { upward: up, loops },
    { upward: [], loops: [] },
    `layers, bottom first: ${LAYERS.join(" < ")}\n${[...up, ...loops].join("\n")}`,
  );
});

Deno.test("layers: every folder of lib/ is in the list", async () => {
  const folders = new Set((await libFiles()).filter((f) => f.includes("/")).map((f) => f.split("/")[0]));
  assert.deepEqual([...folders].filter((f) => !layerOf(`${f}/x.ts`)), []);
});

Deno.test("layers: the checker fails on an upward import and on a loop", () => {
  const graph: ImportGraph = new Map([
    ["base/errors.ts", []],
    ["facts/probe.ts", ["base/errors.ts", "steps/docker.ts"]],
    ["steps/docker.ts", ["facts/probe.ts", "steps/a.ts"]],
    ["steps/a.ts", ["steps/b.ts"]],
    ["steps/b.ts", ["steps/a.ts"]],
    ["render/x.ts", ["render/x.ts"]],
  ]);
  assert.deepEqual(upwardImports(graph), [
    { from: "facts/probe.ts", to: "steps/docker.ts", fromLayer: "facts", toLayer: "steps" },
  ]);
  assert.deepEqual(importCycles(graph).sort(), [
    ["facts/probe.ts", "steps/docker.ts"],
    ["render/x.ts"],
    ["steps/a.ts", "steps/b.ts"],
  ]);
  // A folder missing from the list sits above every layer.
  assert.equal(upwardImports(new Map([["base/a.ts", ["newfolder/b.ts"]]])).length, 1);
  // A clean graph passes.
  assert.deepEqual(upwardImports(new Map([["steps/a.ts", ["base/b.ts"]]])), []);
  assert.deepEqual(importCycles(new Map([["steps/a.ts", ["base/b.ts"]], ["base/b.ts", []]])), []);
});

Deno.test("layers: static, re-exported, bare and dynamic imports are all read", () => {
  const source = `import type { A } from "./a.ts";
import {
  b,
  c,
} from "../x/b.ts";
export { d } from './d.ts';
export * from "./e.ts";
import "./f.ts";
const g = await import("./g.ts");
import Docker from "dockerode";
`;
  assert.deepEqual(importSpecifiers(source).sort(), [
    "../x/b.ts",
    "./a.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
    "dockerode",
  ]);
});
