/**
 * Refinements and mappings on decoded values.
 *
 * `refine` adds a check (run after decoding and before encoding); a failed check is a
 * `MalformedInputError` at the offset where the value starts, with the code the check gives
 * (or `<area>.invalid-value`). `map` converts between the wire shape and the user's shape.
 *
 * @module
 */
import { type Codec, type Problem, typed } from "./codec.js";

/** Adds a check to `inner`: return `undefined` when fine, else a detail (or `{code, detail}`). */
export function refine<T>(
  rule: string,
  inner: Codec<T>,
  check: (value: T) => Problem | undefined,
): Codec<T> {
  return typed({
    kind: "refine",
    rule,
    inner,
    check: check as (value: unknown) => Problem | undefined,
  });
}

/**
 * Converts the wire value of `inner` to the user's shape and back. The wire type `W` is the
 * inner codec's alone (never widened from what `encode` returns), so `encode` is checked
 * against it: tags stay literal, token fields need not be given.
 */
export function map<W, T>(
  inner: Codec<W>,
  decode: (wire: W) => T,
  encode: (value: T) => NoInfer<W>,
  rule: string = inner.rule,
): Codec<T> {
  return typed({
    kind: "map",
    rule,
    inner,
    decode: decode as (wire: unknown) => unknown,
    encode: encode as (value: unknown) => unknown,
  });
}
