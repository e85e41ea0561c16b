/**
 * The layers of lib/, bottom first, written once: a file may import from its own layer and from the
 * layers below it, never from one above, and no chain of imports may come back to where it started.
 * tests/unit/layers_test.ts checks every file of lib/ against this list (see lib/README.md).
 */

/** The folders of lib/, bottom first. */
export const LAYERS = [
  /** Shared by every layer: errors, output and escaping, redaction, the host-side names, the probe's protocol. */
  "base",
  /** The inventory: hosts, variables, secrets, host paths. */
  "inventory",
  /** Remote commands as data: pure builders of the scripts we run on hosts. */
  "commands",
  /** SSH to a host, the one place that runs commands, and the host lock held over it. */
  "transport",
  /** What a host is: the batched probe, one parser per fact. */
  "facts",
  /** Pure renderers of the files we write (text in, text out: no I/O, no probe). */
  "render",
  /** Plans as data (changes, file changes), the run's options and outcomes. */
  "engine",
  /** Containers: specifications, reconciliation, their changes. */
  "containers",
  /** The deploy steps: each plans changes from the probe. */
  "steps",
  /** The fleet runner: selection, secrets, the pool, the per-host session, the recap and exit code. */
  "fleet",
  /** verify-metrics. */
  "verify",
  /** The grafana task. */
  "grafana",
  /** The status task. */
  "status",
  /** The top task. */
  "top",
  /** The lab (Docker containers standing in for hosts): tests and demos only. */
  "lab",
] as const;

/** One layer's folder name. */
export type Layer = (typeof LAYERS)[number];

/** Files (paths relative to lib/, e.g. `facts/probe.ts`) and the lib/ files each imports. */
export type ImportGraph = Map<string, string[]>;

/** An import that goes up the layers. */
export interface UpwardImport {
  from: string;
  to: string;
  fromLayer: string;
  toLayer: string;
}

/** The layer of a file (by its first folder); undefined for a file outside every layer. */
export function layerOf(file: string): Layer | undefined {
  const top = file.split("/")[0];
  return (LAYERS as readonly string[]).includes(top) ? top as Layer : undefined;
}

/**
 * Every import from a lower layer to a higher one. A file in no layer (lib/layers.ts itself) or in a
 * folder missing from LAYERS counts as above every layer, so a new folder must be placed in the list.
 */
export function upwardImports(graph: ImportGraph): UpwardImport[] {
  const rank = (f: string) => {
    const l = layerOf(f);
    return l === undefined ? LAYERS.length : LAYERS.indexOf(l);
  };
  const out: UpwardImport[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (rank(to) > rank(from)) {
        out.push({ from, to, fromLayer: layerOf(from) ?? "?", toLayer: layerOf(to) ?? "?" });
      }
    }
  }
  return out;
}

/** Every file-level import cycle (strongly connected components of more than one file, or a self-import). */
export function importCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, recursive: import chains in lib/ are a few dozen files deep at most.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * The module specifiers a TypeScript source imports statically (`import … from`, `export … from`,
 * `import "…"`) or dynamically with a literal (`import("…")`), in order.
 */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  // `[^;]*?` keeps a match inside one statement: import lists hold no semicolon.
  const statement = /(?:^|[\n;])\s*(?:import|export)\b[^;'"`]*?\bfrom\s*(["'])([^"']+)\1/g;
  const bare = /(?:^|[\n;])\s*import\s*(["'])([^"']+)\1/g;
  const dynamic = /\bimport\(\s*(["'])([^"']+)\1\s*\)/g;
  for (const re of [statement, bare, dynamic]) {
    for (const m of source.matchAll(re)) out.push(m[2]);
  }
  return out;
}
