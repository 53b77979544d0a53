// canRunCompression("xz") tells the truth at the time it is asked: workerd compiles WebAssembly
// while a Worker starts up and refuses while it serves a request, so a "yes" at start-up must
// not be kept until the module is really instantiated. Simulated here by making Node refuse to
// compile bytes for a while (as workerd does in a request).
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { canRunCompression, decompress } from "../../src/cache/compression.js";
import { CompressionUnsupportedError } from "../../src/cache/errors.js";

const realModule = WebAssembly.Module;
const realInstantiate = WebAssembly.instantiate;

/** From now on this realm compiles no WebAssembly from bytes (instantiating modules still works). */
function forbidCompiling(): void {
  const refuse = () => new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
  WebAssembly.Module = function () {
    throw refuse();
  } as unknown as typeof WebAssembly.Module;
  WebAssembly.instantiate = ((source: unknown, imports?: WebAssembly.Imports) =>
    source instanceof realModule
      ? realInstantiate(source, imports)
      : Promise.reject(refuse())) as typeof WebAssembly.instantiate;
}

function allowCompiling(): void {
  WebAssembly.Module = realModule;
  WebAssembly.instantiate = realInstantiate;
}

async function decodeText(xz: Uint8Array): Promise<string> {
  let out = "";
  for await (const chunk of decompress("xz", xz)) out += new TextDecoder().decode(chunk);
  return out;
}

describe("the xz probe", () => {
  afterEach(allowCompiling);

  it("is asked again until a module is instantiated, then stays true", async () => {
    const text = "probe\n".repeat(100);
    const xz = execFileSync("xz", ["-c"], { input: text });
    // start-up: compiling works
    expect(canRunCompression("xz", "decompress")).toBe(true);
    // a request: it does not, and the earlier answer is not kept
    forbidCompiling();
    expect(canRunCompression("xz", "decompress")).toBe(false);
    const refused = await decodeText(xz).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CompressionUnsupportedError);
    expect((refused as CompressionUnsupportedError).code).toBe("cache.compression-unsupported");
    allowCompiling();
    expect(canRunCompression("xz", "decompress")).toBe(true);
    expect(await decodeText(xz)).toBe(text);
    // the library holds its instance now: decoding no longer needs a compiler
    forbidCompiling();
    expect(canRunCompression("xz", "decompress")).toBe(true);
    expect(await decodeText(xz)).toBe(text);
  });
});
