/**
 * The binary-grammar DSL: declare a format once, get a synchronous decoder, a streaming
 * decoder with bounded memory, and an encoder.
 *
 * ```ts
 * import { record, token, u64n, utf8, list, decode, encode } from "nix-compat/codecs";
 * const greeting = record("demo.greeting", {
 *   magic: token("hello"),
 *   name: utf8("demo.name", { max: 64 }),
 *   ages: list("demo.ages", u64n("demo.age")),
 * });
 * const bytes = encode(greeting, { name: "nix", ages: [1, 2] });
 * decode(greeting, bytes); // { name: "nix", ages: [1, 2] }
 * ```
 *
 * @module
 */
export * from "./byte-reader.js";
export * from "./choice.js";
export type { AnyCodec, Codec, Infer, Limit, Problem, Unit } from "./codec.js";
export { areaOf } from "./codec.js";
export {
  type CompiledCodec,
  type CompiledMode,
  type CompileOptions,
  compile,
  compiled,
} from "./compile.js";
export { decodeMessage } from "./decode-buffered.js";
export { type DecodeOptions, decode, decodePrefix } from "./decode.js";
export * from "./decode-stream.js";
export * from "./encode.js";
export * from "./event.js";
export * from "./lazy.js";
export * from "./limits.js";
export * from "./payload.js";
export * from "./primitives.js";
export * from "./record.js";
export * from "./refine.js";
export * from "./repetition.js";
export * from "./strings.js";
export * from "./wire-bytes.js";
