/**
 * Alternatives chosen by a tag: a literal string (token) or a u64.
 *
 * The value is `{ tag, value }`. For string tags, a tag whose length is not one of the
 * alternatives' lengths is refused before its bytes are read.
 *
 * @module
 */
import { type AnyCodec, type Codec, type Infer, typed } from "./codec.js";
import { u64n } from "./primitives.js";
import { utf8 } from "./strings.js";
import { map } from "./refine.js";
import { utf8Bytes } from "./wire-bytes.js";

/** The value of a choice between the branches of `B`. */
export type ChoiceValue<B extends Record<string, AnyCodec>> = {
  [K in keyof B & string]: { tag: K; value: Infer<B[K]> };
}[keyof B & string];

/** Alternatives keyed by a literal string token (`regular`, `symlink`, `directory`, ...). */
export function tokenChoice<B extends Record<string, AnyCodec>>(
  rule: string,
  branches: B,
): Codec<ChoiceValue<B>> {
  const lengths = new Set<number>();
  let max = 0;
  const map = new Map<string, { tag: unknown; codec: AnyCodec }>();
  for (const [tag, codec] of Object.entries(branches)) {
    const len = utf8Bytes(tag).length;
    lengths.add(len);
    max = Math.max(max, len);
    map.set(tag, { tag, codec });
  }
  return typed({
    kind: "choice",
    rule,
    tag: utf8(rule, { max }),
    branches: map,
    tagLengths: lengths,
  });
}

/** The value of a choice between numbered branches. */
export type TaggedValue<B extends Record<number, AnyCodec>> = {
  [K in keyof B & number]: { tag: K; value: Infer<B[K]> };
}[keyof B & number];

/** Alternatives keyed by a u64 tag (message types, enum values). */
export function u64Choice<B extends Record<number, AnyCodec>>(
  rule: string,
  branches: B,
): Codec<TaggedValue<B>> {
  const map = new Map<string, { tag: unknown; codec: AnyCodec }>();
  for (const [tag, codec] of Object.entries(branches)) {
    map.set(String(Number(tag)), { tag: Number(tag), codec: codec as AnyCodec });
  }
  return typed({ kind: "choice", rule, tag: u64n(rule), branches: map, tagLengths: undefined });
}

/**
 * Alternatives keyed by a u64 tag whose values all belong to one union `T` (message types):
 * decodes to the chosen branch's value itself, and encodes a value under the tag `tagOf`
 * gives it. Each branch must decode to (and encode) the members of `T` of its tag.
 */
export function u64Union<T>(
  rule: string,
  branches: { readonly [tag: number]: AnyCodec | undefined },
  tagOf: (value: T) => number,
): Codec<T> {
  const present: Record<number, AnyCodec> = {};
  for (const [tag, codec] of Object.entries(branches))
    if (codec !== undefined) present[Number(tag)] = codec;
  const choice = u64Choice(rule, present) as Codec<{ tag: number; value: T }>;
  return map(
    choice,
    (c) => c.value,
    (value) => ({ tag: tagOf(value), value }),
    rule,
  );
}
