/**
 * The shape of a codec: a plain declarative description of a binary grammar rule.
 *
 * A {@link Codec} is data, not code: an object with a `kind` and the fields that kind needs.
 * The constructors in this folder (`u64`, `bytes`, `token`, `record`, `choice`, ...) build
 * them; the interpreters in `decode.ts`, `decode-stream.ts` and `encode.ts` derive, from the
 * one declaration, a synchronous decoder, a streaming decoder and an encoder.
 *
 * Every codec has a `rule`: a dotted name such as `nar.entry.name`. Its first segment is the
 * area used to build error codes (`nar.unexpected-token`), the whole name is reported as the
 * error's `rule`.
 *
 * @module
 */

/** A value-less marker type for codecs that decode to nothing (tokens, padding). */
export type Unit = undefined;

/** Problem reported by a refinement: a detail message, or a code and a detail. */
export type Problem = string | { readonly code: string; readonly detail: string };

/** A named limit: its name is the key callers use to override it in decode options. */
export interface Limit {
  readonly name: string;
  readonly value: number;
}

interface Base<K extends string> {
  readonly kind: K;
  readonly rule: string;
}

/** u64 little-endian, as bigint or as a safe-integer number. */
export interface U64Node extends Base<"u64"> {
  readonly asNumber: boolean;
  readonly limit: Limit | undefined;
}
/** u64 0 or 1. */
export type BoolNode = Base<"bool">;
/** u64 length, bytes, zero padding to 8; as bytes or UTF-8 text. */
export interface BytesNode extends Base<"bytes"> {
  readonly utf8: boolean;
  readonly limit: Limit;
}
/** A literal string token with precomputed encoding. */
export interface TokenNode extends Base<"token"> {
  readonly text: string;
  readonly body: Uint8Array;
  readonly encoded: Uint8Array;
}
/** A literal u64 (magic numbers, fixed tags). */
export interface ConstU64Node extends Base<"constU64"> {
  readonly value: bigint;
  readonly encoded: Uint8Array;
}
/** A large length-prefixed padded byte payload, streamed rather than buffered when decoding a stream. */
export interface PayloadNode extends Base<"payload"> {
  readonly limit: Limit;
}
/** Named fields decoded one after another. */
export interface RecordNode extends Base<"record"> {
  readonly fields: readonly (readonly [string, AnyCodec])[];
}
/** Alternatives chosen by a tag (a token string or a u64). */
export interface ChoiceNode extends Base<"choice"> {
  readonly tag: AnyCodec;
  readonly branches: ReadonlyMap<string, { readonly tag: unknown; readonly codec: AnyCodec }>;
  /** For string tags: the set of allowed tag byte lengths, to refuse others before reading them. */
  readonly tagLengths: ReadonlySet<number> | undefined;
}
/** Items, each announced by a `more` marker, until an `end` marker (tokens or u64 literals). */
export interface RepeatNode extends Base<"repeat"> {
  readonly item: AnyCodec;
  readonly more: TokenNode | ConstU64Node;
  readonly end: TokenNode | ConstU64Node;
  readonly pairwise: ((prev: unknown, next: unknown) => Problem | undefined) | undefined;
  /** When set, items are records and `pairwise` compares this field, as soon as it is decoded. */
  readonly key: string | undefined;
  readonly collectWhenStreaming: boolean;
  readonly limit: Limit | undefined;
}
/**
 * Record items one after another until the first field of one reads the value `end`; that field
 * alone closes the repetition (e.g. `(path, info)` pairs until an empty path).
 */
export interface TerminatedNode extends Base<"terminated"> {
  readonly item: AnyCodec;
  readonly end: unknown;
  readonly limit: Limit;
}
/** A u64 count then that many items. */
export interface ListNode extends Base<"list"> {
  readonly item: AnyCodec;
  readonly limit: Limit;
}
/** A u64 0/1 flag then, if 1, the value. */
export interface OptionalNode extends Base<"optional"> {
  readonly item: AnyCodec;
}
/** A reference resolved on first use (recursion). */
export interface LazyNode extends Base<"lazy"> {
  readonly get: () => AnyCodec;
  /** This rule's depth limit (name `codec.depth`); the decoder's default when absent. */
  readonly limit?: Limit | undefined;
}
/** A check on a decoded value (and on a value about to be encoded). */
export interface RefineNode extends Base<"refine"> {
  readonly inner: AnyCodec;
  readonly check: (value: unknown) => Problem | undefined;
}
/** A mapping between the wire value and the user value. */
export interface MapNode extends Base<"map"> {
  readonly inner: AnyCodec;
  readonly decode: (wire: unknown) => unknown;
  readonly encode: (value: unknown) => unknown;
}
/** Reports the decoded value to a streaming consumer as soon as it is known. */
export interface EventNode extends Base<"event"> {
  readonly name: string;
  readonly inner: AnyCodec;
  readonly data: unknown;
}
/** Decodes nothing (a constant value). */
export interface ConstNode extends Base<"const"> {
  readonly value: unknown;
}

/** Every kind of codec node. */
export type AnyCodec =
  | U64Node
  | BoolNode
  | BytesNode
  | TokenNode
  | ConstU64Node
  | PayloadNode
  | RecordNode
  | ChoiceNode
  | RepeatNode
  | TerminatedNode
  | ListNode
  | OptionalNode
  | LazyNode
  | RefineNode
  | MapNode
  | EventNode
  | ConstNode;

declare const valueType: unique symbol;

/** A codec decoding to and encoding from values of type `T`. */
export type Codec<T> = AnyCodec & { readonly [valueType]?: (value: T) => T };

/** The value type of a codec. */
export type Infer<C> = C extends { readonly [valueType]?: (value: infer T) => infer _ } ? T : never;

/** Casts a node to a typed codec (used by the constructors). */
export function typed<T>(node: AnyCodec): Codec<T> {
  return node as Codec<T>;
}

/** The area of a rule (its first dotted segment), used as the prefix of error codes. */
export function areaOf(rule: string): string {
  const dot = rule.indexOf(".");
  return dot < 0 ? rule : rule.slice(0, dot);
}
