/**
 * Default limits of the codec layer and how callers override them.
 *
 * Every length read from untrusted input is compared with a named limit before anything is
 * allocated. Codecs carry a {@link Limit} (`{name, value}`); callers override by name through
 * the `limits` option of the decoders: `decode(codec, bytes, { limits: { "nar.name": 1024 } })`.
 *
 * @module
 */
import type { Limit } from "./codec.js";

/** Default maximum length of a byte string (`bytes`, `utf8`) when a codec names none: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1 << 20;
/** Default maximum size of a streamed payload: the largest safe integer. */
export const DEFAULT_MAX_PAYLOAD = Number.MAX_SAFE_INTEGER;
/** Default maximum number of items of a counted list or a repetition. */
export const DEFAULT_MAX_ITEMS = 1 << 24;
/** Default maximum nesting depth of recursive (`lazy`) rules. */
export const DEFAULT_MAX_DEPTH = 512;
/** Name of the depth limit in the `limits` option. */
export const DEPTH_LIMIT_NAME = "codec.depth";

/** Overrides of named limits, keyed by limit name. */
export type LimitOverrides = Readonly<Record<string, number>>;

/** Creates a named limit. */
export function limit(name: string, value: number): Limit {
  return { name, value };
}

/** The effective value of `l` given the caller's overrides. */
export function effectiveLimit(l: Limit, overrides: LimitOverrides | undefined): number {
  const o = overrides?.[l.name];
  return o === undefined ? l.value : o;
}
