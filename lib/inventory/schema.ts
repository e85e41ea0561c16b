import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";
import { UsageError } from "../base/errors.ts";

/**
 * A tiny schema language for inventory and secrets values: one declaration gives both the validation
 * (every error points at file:line:column) and, through `Infer`, the TypeScript type.
 *
 * Declarations are plain object literals ending in `as const satisfies Schema`, e.g.
 * `{ kind: "string", enum: ["pull", "push"] }` infers `"pull" | "push"`. Every schema takes:
 * - `hint`: how the expected value is described in errors ("a DNS name");
 * - `check`: a refinement returning a problem ("is shorter than 8 characters") or undefined;
 * - `secret`: the value is never echoed in an error.
 */
export type Schema =
  | StringSchema
  | NumberSchema
  | BooleanSchema
  | ListSchema
  | ObjectSchema
  | MapSchema
  | NullableSchema;

interface Common {
  /** How the expected value is described in errors. */
  readonly hint?: string;
  /** The value is a secret: errors never show it. */
  readonly secret?: boolean;
}

/** A URL's authority holding `user@` or `user:password@` (before the first `/`, `?` or `#`). */
const USER_INFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;

/** A YAML string (a number or boolean in the file is an error, never converted). */
export interface StringSchema extends Common {
  readonly kind: "string";
  readonly enum?: readonly string[];
  readonly pattern?: RegExp;
  /** A credential URL: `https://` only, unless the host sets `insecure_http_for_lab` (see rules.ts). */
  readonly https?: boolean;
  /** A URL: refused with a user or password in it (`https://user:pw@…`), which is then never shown. */
  readonly url?: boolean;
  readonly check?: (value: string) => string | undefined;
}

/** A whole number (`int`) or any number. */
export interface NumberSchema extends Common {
  readonly kind: "int" | "number";
  readonly min?: number;
  readonly max?: number;
}

/** `true` or `false`. */
export interface BooleanSchema extends Common {
  readonly kind: "boolean";
}

/** A sequence of values of one schema. */
export interface ListSchema extends Common {
  readonly kind: "list";
  readonly of: Schema;
  /** Fewest items. */
  readonly min?: number;
}

/**
 * A mapping with known keys. Without `required`, every field is required (but see `partial`); with it,
 * only those.
 */
export interface ObjectSchema extends Common {
  readonly kind: "object";
  readonly fields: { readonly [key: string]: Schema };
  readonly required?: readonly string[];
  /**
   * An override section (`vars:` of an inventory, group or host): any subset of the fields, and so
   * for the objects within that are merged key by key. Not through lists, maps or nullable values:
   * those replace the default whole, so they must be complete.
   */
  readonly partial?: boolean;
}

/** A mapping from free keys (checked against `key`, if given) to values of one schema. */
export interface MapSchema extends Common {
  readonly kind: "map";
  readonly of: Schema;
  readonly key?: StringSchema;
}

/** `null` or a value of `of`. */
export interface NullableSchema extends Common {
  readonly kind: "nullable";
  readonly of: Schema;
}

/** The TypeScript type of the values a schema accepts. */
export type Infer<S> = S extends { kind: "string"; enum: readonly (infer E)[] } ? E
  : S extends { kind: "string" } ? string
  : S extends { kind: "int" | "number" } ? number
  : S extends { kind: "boolean" } ? boolean
  : S extends { kind: "list"; of: infer O } ? Infer<O>[]
  : S extends { kind: "map"; of: infer O } ? Record<string, Infer<O>>
  : S extends { kind: "nullable"; of: infer O } ? Infer<O> | null
  : S extends { kind: "object"; fields: infer F; required: readonly (infer R)[] } ? Expand<
      & { -readonly [K in keyof F as K extends R ? K : never]: Infer<F[K]> }
      & { -readonly [K in keyof F as K extends R ? never : K]?: Infer<F[K]> }
    >
  : S extends { kind: "object"; fields: infer F } ? { -readonly [K in keyof F]: Infer<F[K]> }
  : never;

type Expand<T> = { [K in keyof T]: T[K] } & unknown;

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

/**
 * Parses YAML keeping positions. `quiet` (for secrets) keeps the parser's message out of the error, as
 * it may quote the text.
 */
export function parseLocated(
  file: string,
  text: string,
  quiet = false,
): { loc: Located; root: Node | null } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Located(file, lines);
  const problem = doc.errors[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    throw new UsageError(
      `${file}:${line}:${col}: ${
        quiet ? "not valid YAML" : `invalid YAML: ${problem.message.split("\n")[0]}`
      }`,
    );
  }
  return { loc, root: doc.contents as Node | null };
}

/** Pairs of a YAML map with their string keys; rejects non-string keys. */
export function entries(loc: Located, map: YAMLMap): [string, Node | null, Pair][] {
  return map.items.map((pair) => {
    const key = pair.key as Node;
    if (!isScalar(key) || typeof (key as Scalar).value !== "string") {
      throw loc.error(key, "keys must be plain strings");
    }
    // It would set the prototype of the plain object the values are collected in.
    if ((key as Scalar).value === "__proto__") throw loc.error(key, "'__proto__' is not allowed as a key");
    return [(key as Scalar<string>).value, pair.value as Node | null, pair];
  });
}

/** The value node under `key` of a YAML map (null when absent or not a map). */
export function child(map: Node | null, key: string): Node | null {
  if (!map || !isMap(map)) return null;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return (pair?.value as Node | null) ?? null;
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
      return schema.hint ?? (schema.min ? "a non-empty list" : "a list");
    case "object":
    case "map":
      return schema.hint ?? "a mapping";
    case "nullable":
      return `${describe(schema.of)} or null`;
  }
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  return "";
}

/** What YAML made of a scalar that is not the string the schema wants (`012` is a number, `.inf` too). */
function yamlType(node: Node): string {
  if (!isScalar(node)) return "";
  const v = node.value;
  if (typeof v === "number" || typeof v === "bigint") return "; YAML reads it as a number: put it in quotes";
  if (typeof v === "boolean") return "; YAML reads it as true/false: put it in quotes";
  if (v === null) return "; YAML reads it as null: put it in quotes";
  return "";
}

/**
 * Checks a YAML node against a schema and returns its plain value; errors name file:line:col.
 * `partial`: inside an override section (see ObjectSchema.partial).
 */
export function validate(
  loc: Located,
  node: Node | null,
  schema: Schema,
  path: string,
  partial = false,
): unknown {
  // Long on purpose: one case per schema kind; splitting the switch would only scatter it.
  const name = path || "the file";
  const bad = (extra = "") => loc.error(node, `${name} must be ${describe(schema)}${extra}`);
  if (node && isAlias(node)) throw loc.error(node, `${name}: YAML aliases (*name) are not supported here`);
  if (schema.kind === "nullable") {
    if (node === null || (isScalar(node) && node.value === null)) return null;
    return validate(loc, node, schema.of, path);
  }
  if (node === null) throw bad();
  switch (schema.kind) {
    case "string": {
      if (!isScalar(node) || typeof node.value !== "string") throw bad(yamlType(node));
      const v = node.value as string;
      // Checked first, before any message could show the value: the password would be in it.
      if (schema.url && USER_INFO.test(v)) {
        throw loc.error(
          node,
          `${path} has a user or password in it (scheme://user:password@host; not shown): credentials ` +
            `go in the secrets file, where they are kept out of files, argv and output`,
        );
      }
      const shown = schema.secret ? "" : ` '${v}'`;
      if (schema.enum && !schema.enum.includes(v)) {
        throw loc.error(node, `${path} is${shown || " not valid"}; it must be ${describe(schema)}`);
      }
      if (schema.pattern && !schema.pattern.test(v)) {
        throw loc.error(node, `${path}${shown} is not ${describe(schema)}`);
      }
      const problem = schema.check?.(v);
      if (problem) throw loc.error(node, `${path}${shown} ${problem}`);
      return v;
    }
    case "int":
    case "number": {
      if (!isScalar(node) || typeof node.value !== "number") throw bad();
      const v = node.value as number;
      if (!Number.isFinite(v) || (schema.kind === "int" && !Number.isInteger(v))) throw bad();
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
      if (schema.min !== undefined && node.items.length < schema.min) throw bad();
      return node.items.map((item, i) => validate(loc, item as Node, schema.of, `${path}[${i}]`));
    case "map": {
      if (!isMap(node)) throw bad();
      const out: Record<string, unknown> = {};
      for (const [k, v, pair] of entries(loc, node)) {
        if (schema.key) validate(loc, pair.key as Node, schema.key, `${name} key`);
        out[k] = validate(loc, v, schema.of, join(path, k));
      }
      return out;
    }
    case "object": {
      if (!isMap(node)) throw bad();
      const subset = partial || schema.partial === true;
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
        out[k] = validate(loc, v, field, join(path, k), subset && field.kind === "object");
      }
      if (!subset) {
        for (const r of schema.required ?? Object.keys(schema.fields)) {
          if (!(r in out)) throw loc.error(node, `${name} lacks the required key '${r}'`);
        }
      }
      return out;
    }
  }
}
