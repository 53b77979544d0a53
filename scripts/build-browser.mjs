// Builds dist/browser/: the portable entry points as plain ES modules that load in a browser
// without a bundler (an import map or a direct URL), and in any runtime that resolves the
// `browser` export condition. Each entry is one file; what entries share (the library's core,
// zod, @noble/*, and Parsimmon, which is CommonJS only and so cannot be loaded as a module
// as it ships) sits in chunk files beside them, so error classes and other values are the same
// objects whichever entries a page imports. Input is tsc's output in dist/, so this build holds
// the very code the Node entry points run. Run after `tsc` (`npm run build` does both).
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

/** The portable subpaths (package.json `exports` keys) and the dist/ module each one loads. */
export const BROWSER_ENTRIES = {
  index: "dist/index.js",
  core: "dist/core/index.js",
  codecs: "dist/codecs/index.js",
  nar: "dist/nar/index.js",
  derivation: "dist/derivation/index.js",
  narinfo: "dist/narinfo/index.js",
  signing: "dist/signing/index.js",
  schemas: "dist/schemas/index.js",
  daemon: "dist/daemon/index.js",
  export: "dist/export/index.js",
};

const root = new URL("..", import.meta.url);
const outdir = new URL("dist/browser/", root);

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root.pathname,
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
