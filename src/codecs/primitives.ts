/**
 * Scalar primitives: u64 little-endian integers (as bigint or as a safe-integer number), booleans
 * and literal u64 constants (magic numbers).
 *
 * @module
 */
import { type Codec, typed } from "./codec.js";
import { limit } from "./limits.js";
import { u64Bytes } from "./wire-bytes.js";

/** A u64 little-endian, decoded as a bigint. */
export function u64(rule = "codec.u64"): Codec<bigint> {
  return typed({ kind: "u64", rule, asNumber: false, limit: undefined });
}

/**
 * A u64 little-endian, decoded as a number. Values above `max` (by default
 * `Number.MAX_SAFE_INTEGER`) are refused with a `LimitExceededError`; override the limit by its
 * `limitName` (default: the rule name).
 */
export function u64n(
  rule = "codec.u64",
  options: { max?: number; limitName?: string } = {},
): Codec<number> {
  return typed({
    kind: "u64",
    rule,
    asNumber: true,
    limit: limit(options.limitName ?? rule, options.max ?? Number.MAX_SAFE_INTEGER),
  });
}

/** A boolean as a u64 0 or 1 (any other value is malformed). */
export function bool(rule = "codec.bool"): Codec<boolean> {
  return typed({ kind: "bool", rule });
}

/** A literal u64 (a magic number or a fixed tag): asserted when decoding, written when encoding. */
export function constU64(value: number | bigint, rule = "codec.const"): Codec<undefined> {
  return typed({ kind: "constU64", rule, value: BigInt(value), encoded: u64Bytes(value) });
}

/** Decodes nothing and always yields `value` (useful for branches without payload). */
export function constant<T>(value: T, rule = "codec.const"): Codec<T> {
  return typed({ kind: "const", rule, value });
}
