/**
 * A Worker in workerd (through miniflare), built the way wrangler builds one: the script
 * bundled by esbuild for the `workerd` condition, and `.wasm` imports left to the runtime as
 * precompiled `WebAssembly.Module`s (wrangler's `CompiledWasm` rule), so a Worker may
 * `import xzWasm from "nix-compat/cache/xz.wasm"` as users do.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { Miniflare } from "miniflare";
import { REPO_ROOT } from "./fixtures.js";

/** A running Worker. */
export interface TestWorker {
  /** Its miniflare (for `getR2Bucket`...). */
  readonly mf: Miniflare;
  /** Its base URL, without a trailing `/`. */
  readonly url: string;
}

/** Options of {@link startWorker}. */
export interface TestWorkerOptions {
  /** Plain-text bindings (`env.NAME`). */
  readonly bindings?: Record<string, string>;
  /** R2 bucket bindings. */
  readonly r2Buckets?: string[];
  /**
   * Resolve `nix-compat/...` to this repository's build (default); false: as installed beside
   * the entry (a consumer project with the packed package).
   */
  readonly repositoryPackage?: boolean;
}

/** The package's `nix-compat/...` subpaths resolved to this repository's build. */
const packageSubpaths: Plugin = {
  name: "nix-compat-subpaths",
  setup(b) {
    b.onResolve({ filter: /^nix-compat(\/|$)/ }, (args) => {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
        exports: Record<string, { browser?: string; default: string }>;
      };
      const entry = pkg.exports[`.${args.path.slice("nix-compat".length)}`];
      if (entry === undefined) return { errors: [{ text: `no export ${args.path}` }] };
      return { path: join(REPO_ROOT, entry.browser ?? entry.default) };
    });
  },
};

/** Bundles `entry` (a file) as a Worker and starts it. */
export async function startWorker(
  entry: string,
  options: TestWorkerOptions = {},
): Promise<TestWorker> {
  const wasm = new Map<string, Uint8Array>();
  const wasmModules: Plugin = {
    name: "compiled-wasm",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData === "wasm") return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: "wasm",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const name = basename(resolved.path);
        wasm.set(name, readFileSync(resolved.path));
        return { path: `./${name}`, external: true };
      });
    },
  };
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "error",
    plugins: options.repositoryPackage === false ? [wasmModules] : [wasmModules, packageSubpaths],
  });
  const mf = new Miniflare({
    modules: [
      { type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0]!.text },
      ...[...wasm].map(([path, contents]) => ({ type: "CompiledWasm" as const, path, contents })),
    ],
    compatibilityDate: "2025-09-01",
    r2Buckets: options.r2Buckets ?? [],
    bindings: options.bindings ?? {},
    host: "127.0.0.1",
    port: 0,
  });
  return { mf, url: (await mf.ready).href.replace(/\/$/, "") };
}

/** The keys of the objects in R2 bucket `binding` of `mf`. */
export async function bucketKeys(mf: Miniflare, binding = "BUCKET"): Promise<string[]> {
  const bucket = (await mf.getR2Bucket(binding)) as unknown as {
    list(): Promise<{ objects: { key: string }[] }>;
  };
  return (await bucket.list()).objects.map((o) => o.key);
}

/** Writes `size` random bytes (no compression shrinks them) to `path`. */
export function writeRandomFile(path: string, size: number): void {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  writeFileSync(path, bytes);
}
