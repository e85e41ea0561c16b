import {
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from "yaml";
import { UsageError } from "../engine/errors.ts";

/** A tiny schema language for inventory values, so every error can point at file:line:column. */
export type Schema =
  | { kind: "string"; enum?: readonly string[]; pattern?: RegExp; hint?: string }
  | { kind: "int"; min?: number; max?: number }
  | { kind: "number"; min?: number; max?: number }
  | { kind: "boolean" }
  | { kind: "list"; of: Schema }
  | { kind: "object"; fields: Record<string, Schema>; required?: readonly string[] }
  | { kind: "map"; of: Schema }
  | { kind: "nullable"; of: Schema };

/** Locates YAML nodes in their file. */
export class Located {
  constructor(readonly file: string, readonly lines: LineCounter) {}

  /** `file:line:col` of a node (or of the file's start). */
  at(node: Node | null | undefined): string {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** An input error that names where it is. */
  error(node: Node | null | undefined, message: string): UsageError {
    return new UsageError(`${this.at(node)}: ${message}`);
  }
}

/** Pairs of a YAML map with their string keys; rejects non-string keys. */
export function entries(loc: Located, map: YAMLMap): [string, Node | null, Pair][] {
  return map.items.map((pair) => {
    const key = pair.key as Node;
    if (!isScalar(key) || typeof (key as Scalar).value !== "string") {
      throw loc.error(key, "keys must be plain strings");
    }
    return [(key as Scalar<string>).value, pair.value as Node | null, pair];
  });
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(schema: Schema): string {
  switch (schema.kind) {
    case "string":
      return schema.enum ? `one of ${schema.enum.join(", ")}` : (schema.hint ?? "a string");
    case "int":
      return "a whole number" + range(schema.min, schema.max);
    case "number":
      return "a number" + range(schema.min, schema.max);
    case "boolean":
      return "true or false";
    case "list":
      return "a list";
    case "object":
    case "map":
      return "a mapping";
    case "nullable":
      return `${describe(schema.of)} or null`;
  }
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  return "";
}

/** Checks a YAML node against a schema and returns its plain value; errors name file:line:col. */
export function validate(loc: Located, node: Node | null, schema: Schema, path: string): unknown {
  const bad = () => loc.error(node, `${path} must be ${describe(schema)}`);
  if (schema.kind === "nullable") {
    if (node === null || (isScalar(node) && node.value === null)) return null;
    return validate(loc, node, schema.of, path);
  }
  if (node === null) throw bad();
  switch (schema.kind) {
    case "string": {
      if (!isScalar(node) || typeof node.value !== "string") throw bad();
      const v = node.value as string;
      if (schema.enum && !schema.enum.includes(v)) {
        throw loc.error(node, `${path} is '${v}'; it must be ${describe(schema)}`);
      }
      if (schema.pattern && !schema.pattern.test(v)) {
        throw loc.error(node, `${path} '${v}' is not ${describe(schema)}`);
      }
      return v;
    }
    case "int":
    case "number": {
      if (!isScalar(node) || typeof node.value !== "number") throw bad();
      const v = node.value as number;
      if (schema.kind === "int" && !Number.isInteger(v)) throw bad();
      if ((schema.min !== undefined && v < schema.min) || (schema.max !== undefined && v > schema.max)) {
        throw bad();
      }
      return v;
    }
    case "boolean":
      if (!isScalar(node) || typeof node.value !== "boolean") throw bad();
      return node.value;
    case "list":
      if (!isSeq(node)) throw bad();
      return node.items.map((item, i) => validate(loc, item as Node, schema.of, `${path}[${i}]`));
    case "map": {
      if (!isMap(node)) throw bad();
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries(loc, node)) out[k] = validate(loc, v, schema.of, join(path, k));
      return out;
    }
    case "object": {
      if (!isMap(node)) throw bad();
      const out: Record<string, unknown> = {};
      for (const [k, v, pair] of entries(loc, node)) {
        const field = schema.fields[k];
        if (!field) {
          throw loc.error(
            pair.key as Node,
            `unknown key '${k}'${path ? ` in ${path}` : ""} (known: ${
              Object.keys(schema.fields).join(", ")
            })`,
          );
        }
        out[k] = validate(loc, v, field, join(path, k));
      }
      for (const r of schema.required ?? []) {
        if (!(r in out)) throw loc.error(node, `${path || "the file"} lacks the required key '${r}'`);
      }
      return out;
    }
  }
}
