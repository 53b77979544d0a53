// The precompiled xz module (nix-compat/cache/xz.wasm, for Workers): what the build ships is
// xz-decompress's own module, installXzWasm decodes with it without compiling bytes, and
// anything else is refused.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installXzWasm } from "../../src/cache/codec-xz.js";
import { compressionCodec, decompress } from "../../src/cache/compression.js";
import { REPO_ROOT } from "../support/fixtures.js";

const WASM = join(REPO_ROOT, "dist", "cache", "xz-decompress.wasm");

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of chunks) out += decoder.decode(chunk, { stream: true });
  return out;
}

describe("installXzWasm", () => {
  afterEach(() => vi.restoreAllMocks());

  it("ships the module inlined in the pinned xz-decompress", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      exports: Record<string, { default: string }>;
    };
    expect(pkg.dependencies["xz-decompress"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.exports["./cache/xz.wasm"]?.default).toBe("./dist/cache/xz-decompress.wasm");
    const bundle = readFileSync(
      join(REPO_ROOT, "node_modules/xz-decompress/dist/package/xz-decompress.js"),
      "utf8",
    );
    const inlined = /base64,([A-Za-z0-9+/=]+)"/.exec(bundle)![1]!;
    expect(Buffer.from(readFileSync(WASM)).equals(Buffer.from(inlined, "base64"))).toBe(true);
  });

  it("decodes with the given module, compiling no bytes", async () => {
    installXzWasm(new WebAssembly.Module(readFileSync(WASM)));
    const compile = vi.spyOn(WebAssembly, "compile");
    const instantiate = vi.spyOn(WebAssembly, "instantiate");
    const text = "precompiled xz\n".repeat(1000);
    const xz = execFileSync("xz", ["-c"], { input: text });
    expect(await collect(decompress("xz", xz))).toBe(text);
    expect(compile).not.toHaveBeenCalled();
    for (const [source] of instantiate.mock.calls)
      expect(source).toBeInstanceOf(WebAssembly.Module);
    expect(compressionCodec("xz").name).toMatch(/precompiled/);
  });

  it("refuses what is not xz-embedded's module", () => {
    expect(() => installXzWasm(new Uint8Array(8) as unknown as WebAssembly.Module)).toThrow(
      TypeError,
    );
    const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    expect(() => installXzWasm(empty)).toThrow(/not nix-compat\/cache\/xz.wasm/);
  });
});
