/**
 * The documentation stays true to the tree (issue 21, item 6): the layout in docs/design.md (between
 * `<!-- layout:begin -->` and `<!-- layout:end -->`) lists exactly the top-level folders on disk and, for each
 * folder whose children it lists (lib/ at least), exactly its folders; README.md stays a five-minute read
 * (at most 150 lines) and links every docs/ file; every relative link in README.md and docs/*.md points at a
 * file that exists, and a `#fragment` at one of that file's headings; the README's test command is the one
 * .ci/run runs. Paths come from import.meta.url, so the test passes from any working directory.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DESIGN = join(ROOT, "docs", "design.md");
const README = join(ROOT, "README.md");
const README_MAX_LINES = 150;
const BEGIN = "<!-- layout:begin -->";
const END = "<!-- layout:end -->";

/** The folders a layout tree lists: top-level ones, and the children listed under some of them. */
interface Layout {
  /** Top-level folder → its line of purpose. */
  top: Map<string, string>;
  /** Top-level folder → its listed children (folder → purpose); only folders whose children are listed. */
  children: Map<string, Map<string, string>>;
}

/**
 * Parses the tree between the layout markers: top-level lines `name/  purpose`, child lines
 * `├── name/  purpose` (`└──` for the last child of a folder). Any other line is an error, so the tree
 * cannot drift into a shape this test no longer reads.
 */
function parseLayout(markdown: string): Layout {
  const begin = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  assert.ok(begin >= 0 && end > begin, `the layout markers ${BEGIN} … ${END}, in that order`);
  assert.equal(markdown.indexOf(BEGIN, begin + 1), -1, `${BEGIN} appears once`);
  const block = markdown.slice(begin + BEGIN.length, end);
  const fence = block.match(/^```[^\n]*\n([\s\S]*?)^```\s*$/m);
  assert.ok(fence, "a fenced code block between the layout markers");
  const top = new Map<string, string>();
  const children = new Map<string, Map<string, string>>();
  let parent: string | undefined;
  let lastBranch: string | undefined;
  const closeGroup = () => {
    if (parent && children.has(parent)) {
      assert.equal(lastBranch, "└──", `the last child of ${parent}/ is drawn with └──`);
    }
  };
  for (const line of fence[1].split("\n")) {
    if (line.trim() === "") continue;
    const t = line.match(/^([^\s│├└][^\s/]*)\/\s+(\S.*)$/);
    if (t) {
      closeGroup();
      assert.ok(!top.has(t[1]), `${t[1]}/ listed once`);
      top.set(t[1], t[2]);
      parent = t[1];
      lastBranch = undefined;
      continue;
    }
    const c = line.match(/^(├──|└──) ([^\s/]+)\/\s+(\S.*)$/);
    assert.ok(c, `a layout line is 'folder/  purpose' or '├── folder/  purpose': '${line}'`);
    assert.ok(parent, `a child line after its folder: '${line}'`);
    assert.notEqual(lastBranch, "└──", `└── is the last child of ${parent}/: '${line}'`);
    if (!children.has(parent)) children.set(parent, new Map());
    const kids = children.get(parent)!;
    assert.ok(!kids.has(c[2]), `${parent}/${c[2]}/ listed once`);
    kids.set(c[2], c[3]);
    lastBranch = c[1];
  }
  closeGroup();
  return { top, children };
}

/** Names of the folders directly in `dir`, sorted. */
function foldersIn(dir: string, skip: Set<string> = new Set()): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isDirectory && !skip.has(e.name))
    .map((e) => e.name)
    .sort();
}

/** Top-level folders git doesn't keep (`.git`, and `.gitignore`'s plain `name/` lines such as `.lab/`). */
function ignoredTopFolders(): Set<string> {
  const skip = new Set([".git"]);
  let text = "";
  try {
    text = Deno.readTextFileSync(join(ROOT, ".gitignore"));
  } catch { /* no .gitignore: only .git */ }
  for (const raw of text.split("\n")) {
    const m = raw.trim().match(/^\/?([^*?[\]!#/\s]+)\/$/);
    if (m) skip.add(m[1]);
  }
  return skip;
}

/** What differs between the listed and the actual names, for the failure message. */
function difference(what: string, listed: string[], actual: string[]): string {
  const missing = actual.filter((n) => !listed.includes(n));
  const extra = listed.filter((n) => !actual.includes(n));
  return `${what}: on disk but not in docs/design.md's layout: [${missing.join(", ")}]; ` +
    `in the layout but not on disk: [${extra.join(", ")}]. Update the tree between ${BEGIN} and ${END}.`;
}

Deno.test("docs/design.md's layout lists the top-level folders and lib/'s folders exactly as on disk", () => {
  const layout = parseLayout(Deno.readTextFileSync(DESIGN));
  const listedTop = [...layout.top.keys()].sort();
  const actualTop = foldersIn(ROOT, ignoredTopFolders());
  assert.deepEqual(listedTop, actualTop, difference("top-level folders", listedTop, actualTop));
  assert.ok(layout.children.has("lib"), "the layout lists lib/'s folders");
  for (const [parent, kids] of layout.children) {
    const listed = [...kids.keys()].sort();
    const actual = foldersIn(join(ROOT, parent));
    assert.deepEqual(listed, actual, difference(`folders of ${parent}/`, listed, actual));
  }
});

Deno.test("the layout parser reads the tree's shape and refuses what it doesn't know", () => {
  const doc = (tree: string) => `intro\n\n${BEGIN}\n\n\`\`\`\n${tree}\n\`\`\`\n\n${END}\n`;
  const layout = parseLayout(doc(
    "lib/        code\n├── engine/ the run\n└── top/    the live view\ntasks/      entry files",
  ));
  assert.deepEqual([...layout.top.keys()], ["lib", "tasks"]);
  assert.deepEqual([...layout.children.get("lib")!.entries()], [["engine", "the run"], [
    "top",
    "the live view",
  ]]);
  assert.equal(layout.children.has("tasks"), false);
  assert.throws(
    () => parseLayout(doc("lib/   code\n├── engine/\n")),
    /a layout line is .folder\/ {2}purpose/,
    "a purpose per line",
  );
  assert.throws(() => parseLayout(doc("lib/   code\n├── a/ x\n├── b/ y\n")), /└──/, "the last child is └──");
  assert.throws(
    () => parseLayout(doc("lib/   code\n│   └── deep/ x\n")),
    /a layout line is .folder\/ {2}purpose/,
    "depth 1 only",
  );
  assert.throws(() => parseLayout("no markers here"), /layout markers/);
});

Deno.test(`README.md is a five-minute read: at most ${README_MAX_LINES} lines`, () => {
  const lines = Deno.readTextFileSync(README).replace(/\n$/, "").split("\n").length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail to docs/`);
});

/** Markdown without fenced code blocks and inline code spans (their text is not links or headings). */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .replace(/(`+)[\s\S]*?\1/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .trim()
    .replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings (duplicates numbered as GitHub does). */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    let a = base;
    for (let i = 1; found.has(a); i++) a = `${base}-${i}`;
    found.add(a);
  }
  return found;
}

/** Every link target of a markdown file: inline `[text](target)` and reference `[x]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const refs = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...refs];
}

function docsFiles(): string[] {
  return [...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => join(ROOT, "docs", e.name))
    .sort();
}

Deno.test("every relative link in README.md and docs/*.md points at an existing file and heading", () => {
  const problems: string[] = [];
  for (const file of [README, ...docsFiles()]) {
    const text = Deno.readTextFileSync(file);
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not ours to check
      const [path, fragment] = target.split("#", 2);
      const to = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(ROOT, file)} → ${target}`;
      let isFile = false;
      try {
        isFile = Deno.statSync(to).isFile;
      } catch {
        problems.push(`${where}: ${relative(ROOT, to)} does not exist`);
        continue;
      }
      if (fragment !== undefined && isFile && to.endsWith(".md")) {
        if (!anchors(Deno.readTextFileSync(to)).has(fragment)) {
          problems.push(`${where}: no heading #${fragment} in ${relative(ROOT, to)}`);
        }
      }
    }
  }
  assert.deepEqual(problems, [], problems.join("\n"));
});

Deno.test("README.md links every docs/ file", () => {
  const linked = new Set(
    linkTargets(Deno.readTextFileSync(README)).map((t) => resolve(ROOT, t.split("#")[0])),
  );
  const unlinked = docsFiles().filter((f) => !linked.has(f)).map((f) => relative(ROOT, f));
  assert.deepEqual(unlinked, [], `not linked from README.md's "Where to read more": ${unlinked.join(", ")}`);
});

Deno.test("README.md's set-up commands are intact, and .ci/run runs its test command as written", () => {
  const lines = Deno.readTextFileSync(README).split("\n").map((l) => l.trim());
  const demo = "command -v deno >/dev/null || npm install -g deno; deno task demo";
  const test = "command -v deno >/dev/null || npm install -g deno; deno task test";
  assert.ok(lines.includes(demo), `README.md gives the demo command as: ${demo}`);
  assert.ok(lines.includes(test), `README.md gives the test command as: ${test}`);
  assert.ok(
    Deno.readTextFileSync(join(ROOT, ".ci", "run")).includes(test),
    ".ci/run runs the README's test command",
  );
});

Deno.test("the anchors follow GitHub's rules for the headings the docs use", () => {
  assert.equal(slug("Rolling deploys: `--serial N`"), "rolling-deploys---serial-n");
  assert.equal(slug("The lab's web UI"), "the-labs-web-ui");
  assert.equal(slug("`insecure_http_for_lab`"), "insecure_http_for_lab");
  assert.equal(slug("Light lab hosts (fleet size)"), "light-lab-hosts-fleet-size");
  assert.deepEqual([...anchors("# A\n\n```\n# not a heading\n```\n\n## A\n")], ["a", "a-1"]);
  assert.deepEqual(linkTargets('[x](a.md#b) `[y](no.md)` [z]: c.md\n[r]: d.md "t"\n'), ["a.md#b", "d.md"]);
});
