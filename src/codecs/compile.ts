/**
 * Compiled codecs: a declaration's decoder and encoder as generated code, with the interpreter
 * as the reference that decides whenever the generated code declines.
 *
 * ```ts
 * import { compile, record, token, utf8 } from "nix-compat/codecs";
 * const greeting = compile(record("demo.greeting", { magic: token("hello"), name: utf8("demo.name") }));
 * greeting.decode(greeting.encode({ name: "nix" })); // { name: "nix" }
 * ```
 *
 * {@link compile} generates the source (`compile-source.ts`) and turns it into code with
 * `new Function` when the platform allows it. Where it does not (Cloudflare Workers, pages
 * with a strict Content-Security-Policy), it falls back to the interpreter: same values, same
 * errors, interpreter speed (`mode` says which). The library's own formats do not depend on
 * `eval`: their generated code is checked in (`*.generated.ts`, written by
 * `scripts/generate-codecs.mjs`) and bound with {@link fromGenerated}.
 *
 * The generated code only accepts or declines: on any doubt (damaged or truncated input, a
 * refinement that refuses, a limit, a value the encoder cannot take as is, a call stack too
 * shallow for a deep value) it declines and the interpreter runs on the same input, so values
 * and errors (class, code, rule, byte offset, text) are the interpreter's by construction.
 *
 * @module
 */
import { isBytes } from "../core/bytes.js";
import type { Codec } from "./codec.js";
import { type CompiledRuntime, DECLINE, generateCodec } from "./compile-source.js";
import { type DecodeOptions, decode, decodePrefix } from "./decode.js";
import { encode } from "./encode.js";
import type { DecodeEvent } from "./event.js";
import {
  DEFAULT_MAX_DEPTH,
  DEPTH_LIMIT_NAME,
  effectiveLimit,
  type LimitOverrides,
} from "./limits.js";
import { readU64, utf8Bytes, utf8Text, writeU64 } from "./wire-bytes.js";

/** How a {@link CompiledCodec} runs. */
export type CompiledMode = "generated" | "eval" | "interpreter";

/** A declaration with its compiled decoder and encoder. */
export interface CompiledCodec<T> {
  /** The declaration (the reference the compiled code declines to). */
  readonly codec: Codec<T>;
  /**
   * `generated`: checked-in generated code; `eval`: generated at run time with `new Function`;
   * `interpreter`: the platform forbids `eval`, the interpreter runs.
   */
  readonly mode: CompiledMode;
  /** As {@link decode}: one whole value of the input. */
  decode(input: Uint8Array, options?: DecodeOptions): T;
  /** As {@link decodePrefix}: one value from the start of the input, and where it ended. */
  decodePrefix(input: Uint8Array, options?: DecodeOptions): { value: T; end: number };
  /** As {@link encode}: the bytes of a value whose payloads are in memory. */
  encode(value: T): Uint8Array;
  /**
   * The generated decoder alone, on a prefix of `input`: the value and its end, or `undefined`
   * when it declines (damaged, or more bytes needed: then ask the interpreter). With
   * `copyPayloadsUpTo`, payloads are copies and larger ones decline (as `decodeAsync` buffers
   * them). Always `undefined` in mode `interpreter`.
   */
  tryDecodePrefix(
    input: Uint8Array,
    options?: DecodeOptions & { readonly copyPayloadsUpTo?: number },
  ): { value: T; end: number } | undefined;
}

/** @internal What generated code returns (see `GeneratedCodec.source`). */
export interface GeneratedImpl {
  decode(
    b: Uint8Array,
    start: number,
    limits: LimitOverrides | undefined,
    emit: ((event: DecodeEvent) => void) | undefined,
    maxDepth: number,
    /** -1: payloads are views of `b`; else copies of at most this many bytes. */
    payloadMax: number,
  ): unknown;
  end(): number;
  events(): number;
  release(): void;
  encode(value: unknown, maxDepth: number): Uint8Array;
}

/** @internal The factory form of generated code: `(constants, runtime) => impl`. */
export type GeneratedFactory = (k: readonly unknown[], rt: CompiledRuntime) => GeneratedImpl;

/** Short ASCII strings are built from their character codes; others by `TextDecoder` (same result). */
const ASCII_MAX = 64;
/** The character codes of the string being built (reused: no allocation per string). */
const codes: number[] = [];

function text(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= ASCII_MAX) {
    let high = 0;
    codes.length = len;
    for (let i = 0; i < len; i++) high |= codes[i] = b[start + i]!;
    if (high < 0x80) return String.fromCharCode.apply(null, codes);
  }
  return utf8Text(b.subarray(start, end));
}

/** The helpers generated code calls. */
export const compiledRuntime: CompiledRuntime = {
  DECLINE,
  text,
  readU64,
  writeU64,
  isBytes,
  limit: (l, overrides) => effectiveLimit(l, overrides as LimitOverrides | undefined),
  utf8: utf8Bytes,
};

/** Options that skip the first `n` events (already delivered by declined generated code). */
function skipping(options: DecodeOptions, n: number): DecodeOptions {
  const onEvent = options.onEvent;
  if (onEvent === undefined || n === 0) return options;
  let left = n;
  return {
    ...options,
    onEvent: (ev) => {
      if (left > 0) left--;
      else onEvent(ev);
    },
  };
}

function bind<T>(codec: Codec<T>, impl: GeneratedImpl, mode: CompiledMode): CompiledCodec<T> {
  let busy = false;
  /** Runs the generated decoder; `undefined` end when it declined (events then delivered). */
  function run(
    input: Uint8Array,
    options: DecodeOptions,
    payloadMax = -1,
  ): { value: unknown; end: number; events: number } {
    try {
      const value = impl.decode(
        input,
        0,
        options.limits,
        options.onEvent,
        options.limits?.[DEPTH_LIMIT_NAME] ?? DEFAULT_MAX_DEPTH,
        payloadMax,
      );
      return { value, end: impl.end(), events: impl.events() };
    } catch {
      return { value: undefined, end: -1, events: impl.events() };
    } finally {
      impl.release();
    }
  }
  /** {@link run}, declining when called again from inside (a refinement decoding). */
  function runOnce(
    input: Uint8Array,
    options: DecodeOptions,
    payloadMax = -1,
  ): { value: unknown; end: number; events: number } {
    if (busy) return { value: undefined, end: -1, events: 0 };
    busy = true;
    try {
      return run(input, options, payloadMax);
    } finally {
      busy = false;
    }
  }
  return {
    codec,
    mode,
    decode(input, options = {}) {
      const r = runOnce(input, options);
      if (r.end === input.length || (r.end >= 0 && options.allowTrailing)) return r.value as T;
      return decode(codec, input, skipping(options, r.events));
    },
    decodePrefix(input, options = {}) {
      const r = runOnce(input, options);
      if (r.end >= 0) return { value: r.value as T, end: r.end };
      return decodePrefix(codec, input, skipping(options, r.events));
    },
    tryDecodePrefix(input, options = {}) {
      const r = runOnce(input, options, options.copyPayloadsUpTo ?? -1);
      return r.end >= 0 ? { value: r.value as T, end: r.end } : undefined;
    },
    encode(value) {
      if (busy) return encode(codec, value);
      busy = true;
      try {
        return impl.encode(value, DEFAULT_MAX_DEPTH);
      } catch {
        return encode(codec, value);
      } finally {
        busy = false;
      }
    },
  };
}

/** The interpreter behind the {@link CompiledCodec} interface (no `eval` allowed). */
function interpreted<T>(codec: Codec<T>): CompiledCodec<T> {
  return {
    codec,
    mode: "interpreter",
    decode: (input, options) => decode(codec, input, options),
    decodePrefix: (input, options) => decodePrefix(codec, input, options),
    encode: (value) => encode(codec, value),
    tryDecodePrefix: () => undefined,
  };
}

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Set false to never use `new Function` (the interpreter runs). Default true. */
  readonly eval?: boolean;
}

/**
 * Compiles a declaration into a fast decoder and encoder (generated code run with
 * `new Function`). Values and errors are exactly the interpreter's; where `eval` is forbidden
 * the interpreter runs (`mode: "interpreter"`).
 */
export function compile<T>(codec: Codec<T>, options: CompileOptions = {}): CompiledCodec<T> {
  if (options.eval === false) return interpreted(codec);
  const { source, constants } = generateCodec(codec, DEFAULT_MAX_DEPTH);
  let factory: GeneratedFactory;
  try {
    // looked up at call time: a platform (or a test) may forbid it
    const MakeFunction = globalThis.Function;
    factory = new MakeFunction("k", "rt", source) as GeneratedFactory;
  } catch {
    return interpreted(codec);
  }
  return bind(codec, factory(constants, compiledRuntime), "eval");
}

/**
 * @internal Binds checked-in generated code (a `*.generated.ts` module written by
 * `scripts/generate-codecs.mjs`) to its declaration: the constants table is collected from the
 * declaration by the generator's own walk. A test keeps the checked-in code up to date.
 */
export function fromGenerated<T>(codec: Codec<T>, factory: GeneratedFactory): CompiledCodec<T> {
  // bound on first use: importing a format costs nothing until it is decoded or encoded
  let bound: CompiledCodec<T> | undefined;
  const get = (): CompiledCodec<T> => {
    if (bound === undefined) {
      const { constants } = generateCodec(codec, DEFAULT_MAX_DEPTH);
      bound = bind(codec, factory(constants, compiledRuntime), "generated");
    }
    return bound;
  };
  return {
    codec,
    mode: "generated",
    decode: (input, options) => get().decode(input, options),
    decodePrefix: (input, options) => get().decodePrefix(input, options),
    encode: (value) => get().encode(value),
    tryDecodePrefix: (input, options) => get().tryDecodePrefix(input, options),
  };
}

const compiledCache = new WeakMap<object, CompiledCodec<unknown>>();

/**
 * `compile(codec)`, once per declaration object (kept while the declaration lives): for
 * codecs built at run time, such as the worker protocol's per-version messages.
 */
export function compiled<T>(codec: Codec<T>): CompiledCodec<T> {
  let c = compiledCache.get(codec);
  if (c === undefined) {
    c = compile(codec) as CompiledCodec<unknown>;
    compiledCache.set(codec, c);
  }
  return c as CompiledCodec<T>;
}
