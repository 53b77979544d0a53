// Writes dist/cache/xz-decompress.wasm: the WebAssembly module of xz-decompress (xz-embedded),
// which the library inlines as a base64 data URL and compiles from bytes at run time. Runtimes
// that forbid compiling from bytes (Cloudflare Workers) import this file as a precompiled
// `WebAssembly.Module` (`import xzWasm from "nix-compat/cache/xz.wasm"`) and hand it to
// `installXzWasm`. Taken from the installed xz-decompress (pinned to one version in
// package.json: the module and the library's glue code must match), beside its types
// (`xz-decompress.wasm.d.ts`). Run after `tsc` (`npm run build` does).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
/* global WebAssembly */

const require = createRequire(import.meta.url);
const bundle = readFileSync(require.resolve("xz-decompress"), "utf8");
const dataUrl = /"data:application\/wasm;base64,([A-Za-z0-9+/=]+)"/.exec(bundle);
if (dataUrl === null) throw new Error("xz-decompress: no inlined WebAssembly module found");
const wasm = Buffer.from(dataUrl[1], "base64");
// the module must compile and export the functions xz-decompress's glue calls
const exported = WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name);
for (const name of ["memory", "create_context", "supply_input", "get_next_output"]) {
  if (!exported.includes(name)) throw new Error(`xz-decompress's module lacks ${name}`);
}
const out = new URL("../dist/cache/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("xz-decompress.wasm", out), wasm);
writeFileSync(
  new URL("xz-decompress.wasm.d.ts", out),
  `/** xz-embedded as a WebAssembly module, for \`installXzWasm\` of \`nix-compat/cache\`. */\n` +
    `declare const xzWasm: WebAssembly.Module;\nexport default xzWasm;\n`,
);
