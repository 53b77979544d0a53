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
export {
  byteChunks,
  type ByteInput,
  byteReader,
  ByteReader,
  type ByteSourceInput,
  type ByteStreamInput,
  type ChunkSource,
  chunkSourceOf,
  readingFrom,
  type WebByteStream,
  type WebByteStreamReader,
} from "./byte-reader.js";
export { type ChoiceValue, type TaggedValue, tokenChoice, u64Choice, u64Union } from "./choice.js";
export type { AnyCodec, Codec, Infer, Limit, Problem, Unit } from "./codec.js";
export { areaOf } from "./codec.js";
export {
  type CompiledCodec,
  type CompiledMode,
  type CompileOptions,
  compile,
  compiled,
} from "./compile.js";
export { compileWriter } from "./compile-writer.js";
export {
  type EventWriter,
  type EventWriterFactory,
  type EventWriterOptions,
  type WriterMode,
  writerMethodName,
} from "./event-writer.js";
export type {
  WriterAction,
  WriterEnd,
  WriterEventEdge,
  WriterPlan,
  WriterState,
  WriterTransition,
  HoleNode,
  KeySlot,
} from "./writer-plan.js";
export { decodeMessage } from "./decode-buffered.js";
export {
  compileResumable,
  decodeEventsResumable,
  type ResumableCodec,
} from "./decode-resumable.js";
export { type DecodeOptions, decode, decodePrefix } from "./decode.js";
export {
  decodeAsync,
  decodeEvents,
  DEFAULT_MAX_BUFFERED_PAYLOAD,
  type StreamDecodeOptions,
} from "./decode-stream.js";
export { type ByteSink, encode, encodeChunks, encodeTo } from "./encode.js";
export { type DecodeEvent, event } from "./event.js";
export { lazy } from "./lazy.js";
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_PAYLOAD,
  DEPTH_LIMIT_NAME,
  limit,
  type LimitOverrides,
} from "./limits.js";
export { payload, type PayloadHandle, type PayloadSource } from "./payload.js";
export { bool, constant, constU64, u64, u64n } from "./primitives.js";
export { preceded, record, recordOf, type RecordValue } from "./record.js";
export { map, refine } from "./refine.js";
export { list, optional, type RepeatOptions, repeatUntil, repeatUntilHead } from "./repetition.js";
export { bytes, type StringOptions, token, utf8 } from "./strings.js";
export {
  allZero,
  bytesEqual,
  compareBytes,
  concatBytes,
  copyBytes,
  framedBytes,
  padLength,
  readU64,
  readU64Number,
  u64Bytes,
  utf8Bytes,
  utf8Text,
  writeU64,
} from "./wire-bytes.js";
