/**
 * Portable code imports nothing from `node:` (so it runs in browsers, Deno and edge workers):
 * everything under src/ except the Node adapters and the CLI.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/fixtures.js";

const NODE_ONLY = [
  /^src\/node\//,
  /^src\/cli\//,
  /^src\/daemon\/node(-client|-server)?\.ts$/,
  /^src\/serve\/node\.ts$/,
  /^src\/cache\/node(-[a-z-]+)?\.ts$/,
];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

describe("portability", () => {
  it("no node: imports outside the Node adapters and the CLI", () => {
    const offenders: string[] = [];
    for (const file of walk(join(REPO_ROOT, "src"))) {
      const rel = relative(REPO_ROOT, file);
      if (NODE_ONLY.some((re) => re.test(rel))) continue;
      // Comments may show how to call a module from Node; only code counts.
      const text = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      if (/from\s+["']node:|import\(\s*["']node:|require\(\s*["']node:/.test(text))
        offenders.push(rel);
      // Bare Node built-ins without the prefix count too.
      if (/from\s+["'](fs|path|os|net|crypto|stream|child_process)(\/[a-z]+)?["']/.test(text))
        offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });

  it("the portable entry points load without Node globals such as Buffer", async () => {
    const saved = globalThis.Buffer;
    // @ts-expect-error: simulate a browser-like global scope
    delete globalThis.Buffer;
    try {
      const mod = await import("../../src/index.js");
      expect(mod.parseHash("sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=").algorithm).toBe(
        "sha256",
      );
    } finally {
      globalThis.Buffer = saved;
    }
  });
});
