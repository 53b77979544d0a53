/**
 * Records: named fields decoded in declaration order. Fields whose codec decodes to
 * `undefined` (tokens, constants) are checked but left out of the value.
 *
 * ```ts
 * const entry = record("nar.entry", { open: token("("), name: utf8("nar.name"), close: token(")") });
 * // Infer<typeof entry> is { name: string }
 * ```
 *
 * @module
 */
import { type AnyCodec, type Codec, type Infer, type RecordNode, typed } from "./codec.js";
import { map } from "./refine.js";

/** Keys of a record shape whose codecs carry a value. */
type ValueKeys<S> = {
  [K in keyof S]: Infer<S[K]> extends undefined ? never : K;
}[keyof S];

/** Keys whose value may be `undefined` (optional values): optional in the record. */
type OptionalKeys<S> = {
  [K in ValueKeys<S>]: undefined extends Infer<S[K]> ? K : never;
}[ValueKeys<S>];

/** The value type of a record with shape `S`. */
export type RecordValue<S extends Record<string, AnyCodec>> = {
  -readonly [K in Exclude<ValueKeys<S>, OptionalKeys<S>>]: Infer<S[K]>;
} & {
  -readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
};

/** A sequence of named fields. */
export function record<S extends Record<string, AnyCodec>>(
  rule: string,
  shape: S,
): Codec<RecordValue<S>> {
  return typed({ kind: "record", rule, fields: Object.entries(shape) });
}

/** The record a (possibly lazy) codec stands for (items of keyed and terminated repetitions). */
export function recordOf(node: AnyCodec): RecordNode {
  let n = node;
  while (n.kind === "lazy") n = n.get();
  if (n.kind !== "record") {
    throw new Error(`keyed and terminated repetitions need record items, got ${n.kind}`);
  }
  return n;
}

/**
 * `value` preceded by fixed bytes (`prefix`: a u64 literal such as an opcode, or a token): a
 * two-field record whose value is `value`'s alone, for any `T` (a generic one included).
 */
export function preceded<T>(rule: string, prefix: Codec<undefined>, value: Codec<T>): Codec<T> {
  const wire = record(rule, { prefix, value: value as AnyCodec }) as AnyCodec as Codec<{
    value: T;
  }>;
  return map(
    wire,
    (w) => w.value,
    (v) => ({ value: v }),
    rule,
  );
}
