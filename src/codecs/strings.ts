/**
 * Framed byte strings and literal tokens: `u64 length, bytes, zero padding to 8`.
 *
 * The length is checked against the codec's limit before anything is allocated; the padding
 * must be zero bytes. A token is a literal string whose framing is precomputed once.
 *
 * @module
 */
import { type Codec, typed } from "./codec.js";
import { DEFAULT_MAX_BYTES, limit } from "./limits.js";
import { framedBytes, utf8Bytes } from "./wire-bytes.js";

/** Options of {@link bytes} and {@link utf8}. */
export interface StringOptions {
  /** Maximum length in bytes (default {@link DEFAULT_MAX_BYTES}). */
  readonly max?: number;
  /** Name under which callers override the limit (default: the rule name). */
  readonly limitName?: string;
}

/** A framed byte string, decoded as a `Uint8Array`. */
export function bytes(rule = "codec.bytes", options: StringOptions = {}): Codec<Uint8Array> {
  return typed({
    kind: "bytes",
    rule,
    utf8: false,
    limit: limit(options.limitName ?? rule, options.max ?? DEFAULT_MAX_BYTES),
  });
}

/** A framed byte string, decoded as UTF-8 text (invalid sequences become U+FFFD). */
export function utf8(rule = "codec.string", options: StringOptions = {}): Codec<string> {
  return typed({
    kind: "bytes",
    rule,
    utf8: true,
    limit: limit(options.limitName ?? rule, options.max ?? DEFAULT_MAX_BYTES),
  });
}

/** A literal framed string: decoding asserts it is exactly `text`, encoding writes it. */
export function token(text: string, rule = `codec.token`): Codec<undefined> {
  const body = utf8Bytes(text);
  return typed({ kind: "token", rule, text, body, encoded: framedBytes(body) });
}
