/**
 * PromQL syntax, checked with Prometheus' own grammar: `@prometheus-io/lezer-promql` is the Lezer parser
 * behind the expression editors of Prometheus' UI and Grafana (web/ui/module/lezer-promql in the
 * prometheus/prometheus repository). Lezer recovers from errors by inserting error nodes (`⚠`) into the
 * tree instead of throwing, so every error node is a position where the expression is not PromQL.
 *
 * This is syntax only: an unknown function, a missing bracket, a bad duration, a stray token. It does
 * not know types (rate() of an instant vector parses) nor which metrics exist: the tools and lab tests
 * run the expressions against a real Prometheus for that.
 *
 * Grafana's template variables (`$host`, `${datasource}`, `[[host]]`, `$__rate_interval`) are not
 * PromQL: a caller substitutes them with valid values first (lib/grafana/dashboard.ts's
 * dashboardQueries does), and positions are then those of the substituted expression, which
 * `formatPromqlError` prints.
 */
import { parser } from "@prometheus-io/lezer-promql";

/** One syntax error of an expression: where, 0-based offset and 1-based line and column. */
export interface PromqlError {
  offset: number;
  line: number;
  column: number;
}

/** Every position where `expr` is not valid PromQL syntax, first one first; empty when it parses. */
export function promqlErrors(expr: string): PromqlError[] {
  if (expr.trim() === "") return [position(expr, 0)];
  const offsets = new Set<number>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) offsets.add(node.from);
    },
  });
  return [...offsets].sort((a, b) => a - b).map((o) => position(expr, o));
}

function position(expr: string, offset: number): PromqlError {
  const before = expr.slice(0, offset).split("\n");
  return { offset, line: before.length, column: before[before.length - 1].length + 1 };
}

/** A PromQL expression the project writes, and where it comes from, for messages. */
export interface PromqlSource {
  /** The file that writes it (repository-relative), with its line when known: `files/x.yml:12`. */
  file: string;
  /** What uses it in that file: a panel and its query, a rule, a function. */
  where: string;
  /** The expression as parsed (template variables already substituted). */
  expr: string;
}

/**
 * The first syntax error of a source as one message naming file, use and position, then the
 * expression's line with a caret under the position; null when the expression parses.
 */
export function formatPromqlError(source: PromqlSource): string | null {
  const errors = promqlErrors(source.expr);
  if (errors.length === 0) return null;
  // Lezer's recovery often adds more error nodes after the first: the first is the cause.
  const { line, column } = errors[0];
  const text = source.expr.split("\n")[line - 1];
  return `${source.file}: ${source.where}: PromQL syntax error at line ${line}, column ${column}\n` +
    `  ${text}\n  ${" ".repeat(column - 1)}^`;
}
