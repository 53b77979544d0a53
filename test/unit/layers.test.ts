/**
 * The layer order of src/ (docs/CONTRIBUTING.md, "Layers"; declared in scripts/layers.mjs)
 * over the whole import graph, read with TypeScript's `preProcessFile` (static, type-only and
 * dynamic imports alike): every import between folders goes down the layers, and no files
 * import each other in a cycle — except today's listed exceptions, each of which must still be
 * needed (the merger deletes an entry when the branch that removes its violation lands).
 * `npm run lint` enforces the same order file by file (eslint.config.js); this test also sees
 * `import()` and cycles inside a folder.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  FILE_CYCLE_EXCEPTIONS,
  forbiddenFolders,
  forbiddenModules,
  LAYER_EXCEPTIONS,
  LAYERS,
  // @ts-expect-error: a plain ES module script without declarations
} from "../../scripts/layers.mjs";
import { REPO_ROOT } from "../support/fixtures.js";

interface LayerException {
  readonly file: string;
  readonly imports: string;
  readonly by: string;
}

/** Every .ts file of src, relative to the repository ("src/nar/reader.ts"). */
function sourceFiles(dir = join(REPO_ROOT, "src")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sourceFiles(join(dir, d.name))
      : d.name.endsWith(".ts")
        ? [relative(REPO_ROOT, join(dir, d.name))]
        : [],
  );
}

/** Each file's imports of other files of src (relative specifiers, `.js` read as `.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const info = ts.preProcessFile(readFileSync(join(REPO_ROOT, file), "utf8"), true, true);
    graph.set(
      file,
      info.importedFiles
        .map((i) => i.fileName)
        .filter((spec) => spec.startsWith("."))
        .map((spec) =>
          relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, file)), spec)).replace(
            /\.js$/,
            ".ts",
          ),
        ),
    );
  }
  return graph;
}

/** The folder of a src file ("nar"), or undefined for src/index.ts. */
function folderOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts.length > 2 ? parts[1] : undefined;
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const graph = importGraph();

describe("layers of src", () => {
  it("every folder of src has a layer", () => {
    const folders = new Set([...graph.keys()].map(folderOf).filter((f) => f !== undefined));
    expect([...folders].sort()).toEqual((LAYERS as string[][]).flat().sort());
  });

  it("docs/CONTRIBUTING.md writes down the same order", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "CONTRIBUTING.md"), "utf8");
    const section = doc.slice(
      doc.indexOf("## Layers"),
      doc.indexOf("\n## ", doc.indexOf("## Layers") + 1),
    );
    const lines = [...section.matchAll(/^\d+\. (.*)$/gm)]
      .map((m) => [...m[1]!.matchAll(/`src\/([a-z]+)`/g)].map((f) => f[1]))
      .filter((l) => l.length > 0);
    expect(lines).toEqual(LAYERS);
  });

  it("imports between folders go down the layers, but for today's listed exceptions", () => {
    const violations = new Set<string>();
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      if (from === undefined) continue;
      const folders = forbiddenFolders(from) as string[];
      const modules = forbiddenModules(from) as string[];
      for (const target of imports) {
        const to = folderOf(target);
        if (to !== undefined && folders.includes(to)) violations.add(`${file} -> ${to}`);
        for (const m of modules) if (target === `src/${m}.ts`) violations.add(`${file} -> ${m}`);
      }
    }
    const allowed = (LAYER_EXCEPTIONS as LayerException[]).map((e) => `${e.file} -> ${e.imports}`);
    expect([...violations].sort()).toEqual(allowed.sort());
  });

  it("the root entry imports no Node-only folder", () => {
    for (const target of graph.get("src/index.ts")!)
      expect(["node", "cli", "testing"]).not.toContain(folderOf(target));
  });

  it("no files import each other in a cycle, but for today's listed exceptions", () => {
    const allowed = (FILE_CYCLE_EXCEPTIONS as { files: string[] }[]).map((c) =>
      [...c.files].sort(),
    );
    expect(cycles(graph)).toEqual(allowed.sort((a, b) => a[0]!.localeCompare(b[0]!)));
  });
});
