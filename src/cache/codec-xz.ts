/**
 * xz, decoded by `xz-decompress`: xz-embedded compiled to WebAssembly (the module inlined in
 * the JavaScript, so it loads the same way in Node, browsers and Workers). It reads
 * concatenated xz streams. It decodes one stream at a time per realm (the library serialises
 * its decoder contexts): a second decode waits until the first ends or is cancelled.
 *
 * By default the library compiles its module from bytes on first use. Cloudflare Workers
 * (workerd) forbid that; there, and in pages whose Content-Security-Policy only lets modules
 * in that the page loaded itself, the same module is given precompiled with
 * {@link installXzWasm}: the package ships it as `nix-compat/cache/xz.wasm`, which Workers
 * (wrangler) and bundlers import as a `WebAssembly.Module`; instantiating a module is allowed
 * where compiling bytes is not. Without either, xz has no decoder
 * (`canRunCompression("xz", "decompress")` is false) unless one is installed with
 * `setCompressionCodec`.
 *
 * There is no portable xz encoder here; `installNodeCompression` adds one for Node.
 *
 * @module
 */
import type { CompressionCodec } from "./codec-registry.js";
import { CompressionUnsupportedError } from "./errors.js";
import { chunksOf, readableOf } from "./web-streams.js";

/** What this module uses of xz-decompress's stream class. */
interface XzStreamClass {
  new (compressed: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  /**
   * The library's instance of its module, made on first use when unset (a field of
   * xz-decompress 0.2.3, the version package.json pins: the shipped `.wasm` is that version's).
   */
  _moduleInstance?: WebAssembly.Instance;
}
interface XzModule {
  XzReadableStream: XzStreamClass;
}

let loaded: Promise<XzModule> | undefined;

async function loadXz(): Promise<XzModule> {
  // a UMD bundle: Node's CommonJS interop gives its exports as `default`
  const mod = (await import("xz-decompress")) as unknown as Partial<XzModule> & {
    default?: XzModule;
  };
  return mod.XzReadableStream !== undefined ? (mod as XzModule) : (mod.default as XzModule);
}

/** Settles when the decode under way ends (the next one waits for it). */
let decoding: Promise<void> = Promise.resolve();

/** The precompiled module given to {@link installXzWasm}, instantiated once. */
let precompiled:
  { module: WebAssembly.Module; instance?: Promise<WebAssembly.Instance> } | undefined;

/**
 * True once this realm has an instance of xz-embedded's module (the library made one, or the
 * precompiled one was instantiated): decoding works from then on, whatever the runtime later
 * allows.
 */
let instantiated = false;

async function* decompressXz(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { XzReadableStream } = await (loaded ??= loadXz());
  if (precompiled !== undefined && XzReadableStream._moduleInstance === undefined) {
    // instantiating a module, unlike compiling bytes, is allowed on Workers
    XzReadableStream._moduleInstance = await (precompiled.instance ??= WebAssembly.instantiate(
      precompiled.module,
      {},
    ));
  }
  if (XzReadableStream._moduleInstance === undefined && !compilesWasm()) {
    // the library would fail to compile its module (a Worker serving a request): say so
    // instead of reporting corrupt data
    throw new CompressionUnsupportedError(
      "cache.compression-unsupported",
      "this runtime cannot decompress xz now: it does not compile WebAssembly (give the " +
        "precompiled nix-compat/cache/xz.wasm to installXzWasm)",
    );
  }
  // one decode at a time, so the library's own lock is free when its stream starts
  const previous = decoding;
  let release = () => {};
  decoding = new Promise((resolve) => (release = resolve));
  await previous;
  try {
    const stream = new XzReadableStream(readableOf(input));
    // workerd runs `pull` on the first read without waiting for `start` to settle, and the
    // library opens its decoder in `start` (a few microtasks with the lock free and the
    // module instantiated): let it settle before reading
    await new Promise((resolve) => setTimeout(resolve, 0));
    for await (const chunk of chunksOf(stream)) {
      instantiated ||= XzReadableStream._moduleInstance !== undefined;
      yield chunk;
    }
  } finally {
    instantiated ||= XzReadableStream._moduleInstance !== undefined;
    release();
  }
}

/**
 * True when this runtime compiles WebAssembly from bytes now. Asked again each time until a
 * module is instantiated: workerd compiles while a Worker starts up but not while it serves a
 * request, so an answer at start-up does not hold later.
 */
function compilesWasm(): boolean {
  try {
    // the 8-byte header of an empty module
    new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    return true;
  } catch {
    return false;
  }
}

/** xz-embedded's XZ_BUF_ERROR: no progress possible, the input ran out mid-stream. */
const truncation = (error: unknown) =>
  error instanceof Error && /error code 8\b/.test(error.message);

const wasmCodec: CompressionCodec = {
  name: "xz-decompress (xz-embedded, WebAssembly)",
  decompress: decompressXz,
  truncation,
};

const noCodec: CompressionCodec = { name: "none (this runtime does not compile WebAssembly)" };

/** The precompiled module's codec, once {@link installXzWasm} was given one. */
let installedCodec: CompressionCodec | undefined;

/**
 * The portable xz codec (decoding only), or one without halves where the runtime cannot
 * compile WebAssembly now. Only a known answer is kept: a module installed with
 * {@link installXzWasm} or instantiated by a decode; until then the runtime is asked on each
 * call (a Worker's start-up compiles, its requests do not).
 */
export function runtimeXzCodec(): CompressionCodec {
  if (installedCodec !== undefined) return installedCodec;
  return instantiated || compilesWasm() ? wasmCodec : noCodec;
}

/**
 * Decodes xz with `module`, the precompiled xz-embedded module the package ships as
 * `nix-compat/cache/xz.wasm`, from now on in this realm (as the built-in xz decoder: one
 * installed with `setCompressionCodec` still takes precedence): what makes xz work on Cloudflare
 * Workers, which do not compile WebAssembly from bytes (see the module comment).
 *
 * ```ts
 * import xzWasm from "nix-compat/cache/xz.wasm"; // wrangler: a WebAssembly.Module
 * installXzWasm(xzWasm);
 * ```
 *
 * Throws a `TypeError` when `module` is not a `WebAssembly.Module` with xz-embedded's exports.
 */
export function installXzWasm(module: WebAssembly.Module): void {
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(
      "installXzWasm: expected the WebAssembly.Module of nix-compat/cache/xz.wasm",
    );
  }
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!["memory", "create_context", "supply_input", "get_next_output"].every((n) => names.has(n))) {
    throw new TypeError("installXzWasm: the module is not nix-compat/cache/xz.wasm (xz-embedded)");
  }
  precompiled = { module };
  // the built-in codec from now on; halves installed with setCompressionCodec still win
  installedCodec = { ...wasmCodec, name: "xz-decompress (xz-embedded, precompiled WebAssembly)" };
}
