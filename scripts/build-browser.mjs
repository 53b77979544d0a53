// Builds dist/browser/: the portable entry points as plain ES modules that load in a browser
// without a bundler (an import map or a direct URL), and in any runtime that resolves the
// `browser` export condition. Each entry is one file; what entries share (the library's core,
// zod, @noble/*, and Parsimmon, which is CommonJS only and so cannot be loaded as a module
// as it ships) sits in chunk files beside them, so error classes and other values are the same
// objects whichever entries a page imports. Input is tsc's output in dist/, so this build holds
// the very code the Node entry points run. Run after `tsc` (`npm run build` does both).
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = new URL("..", import.meta.url);
const outdir = new URL("dist/browser/", root);

/**
 * The entries, read from package.json: every export with a `browser` condition
 * (`./dist/browser/NAME.js`) is built from its `default` (tsc's output).
 */
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const BROWSER_ENTRIES = {};
for (const [subpath, conditions] of Object.entries(pkg.exports)) {
  if (typeof conditions !== "object" || conditions.browser === undefined) continue;
  const name = /^\.\/dist\/browser\/([a-z-]+)\.js$/.exec(conditions.browser)?.[1];
  if (name === undefined) throw new Error(`exports["${subpath}"].browser: unexpected path`);
  BROWSER_ENTRIES[name] = conditions.default;
}

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: fileURLToPath(root),
  entryPoints: BROWSER_ENTRIES,
  outdir: "dist/browser",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});

// Portable code must not reach for Node: a `node:` import that slipped in would only show
// in a browser, so it fails the build here.
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (imp.external) {
      throw new Error(`${file} imports ${imp.path}: the browser build must be self-contained`);
    }
  }
}

// `node scripts/build-browser.mjs --sizes`: what a page loads for each entry (the entry and
// every chunk it imports), minified and gzipped.
if (process.argv.includes("--sizes")) {
  const { outputs } = result.metafile;
  console.log("| entry | files | minified | gzip |\n|---|---:|---:|---:|");
  for (const name of Object.keys(BROWSER_ENTRIES)) {
    const seen = new Set();
    const pending = [`dist/browser/${name}.js`];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      pending.push(...outputs[file].imports.map((i) => i.path));
    }
    let raw = 0;
    let gzip = 0;
    for (const file of seen) {
      const bytes = readFileSync(new URL(file, root));
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
    const entry = name === "index" ? "nix-compat" : `nix-compat/${name}`;
    console.log(`| \`${entry}\` | ${seen.size} | ${kb(raw)} | ${kb(gzip)} |`);
  }
}
