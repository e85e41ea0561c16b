/**
 * The YAML templates shipped under files/ are edited, not regenerated: their comments and key order
 * survive into the file on the host. Every renderer that starts from one parses and prints it here.
 */
import { type Document, parseDocument } from "yaml";

/** Parses template `text`; a YAML error names the template. */
export function parseTemplate(name: string, text: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${name} template: ${doc.errors[0].message}`);
  return doc;
}

/** Prints an edited template: no folding of long lines, `{a: 1}` as the templates write flow maps. */
export function printTemplate(doc: Document): string {
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
