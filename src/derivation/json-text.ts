/**
 * Reading derivation JSON from bytes without losing any: Nix 2.8's `show-derivation` writes
 * strings byte for byte, so its JSON is not valid UTF-8 when a value is not. Decoding it as
 * UTF-8 with replacement characters would silently change the derivation; instead every byte
 * that is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte (see
 * `bytesToName`), which the JSON converters turn back into raw-byte values (`Uint8Array`) and
 * environment names.
 *
 * ```text
 * bytes --(UTF-8, stray bytes as U+DC80..U+DCFF)--> text --JSON.parse--> value
 * ```
 *
 * What JSON itself allows and Nix's JSON reader (nlohmann::json) refuses is refused here too,
 * with its byte offset: a `\u` escape of a lone surrogate (`"\udc93"`, which would also be
 * taken for a raw byte). A `"version"` written as a fraction or with an exponent
 * (`4.0000000000000001`, which `JSON.parse` reads as 4) is refused: a version marker must say
 * exactly which version it is. Duplicate keys keep the last value, as nlohmann::json does.
 *
 * @module
 */
import { MalformedInputError, TruncatedInputError } from "../core/errors.js";
import { bytesToName, nameToBytes } from "../grammar/aterm-strings.js";

/** The byte offset of `index` in text from {@link decodeJsonBytes}. */
function byteOffset(text: string, index: number): number {
  return nameToBytes(text.slice(0, index)).length;
}

/** Derivation JSON is not JSON, or holds what Nix's JSON reader refuses. */
export class DerivationJsonSyntaxError extends MalformedInputError {}

/** Derivation JSON that ends before the document does. */
export class DerivationJsonTruncatedError extends TruncatedInputError {}

/** A `\u` escape of a surrogate; checked for pairing one by one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;

/** The first `\u` escape of a lone surrogate in JSON text (its index), or -1. */
function loneSurrogateEscape(text: string): number {
  SURROGATE_ESCAPE.lastIndex = 0;
  for (let m = SURROGATE_ESCAPE.exec(text); m !== null; m = SURROGATE_ESCAPE.exec(text)) {
    const i = m.index;
    // an escape only when an even run of backslashes precedes it
    let k = i - 1;
    while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
    if (((i - 1 - k) & 1) === 1) {
      SURROGATE_ESCAPE.lastIndex = i + 1;
      continue;
    }
    const high = /[89abAB]/.test(text.charAt(i + 3));
    if (!high) return i;
    const next = text.slice(i + 6, i + 12);
    if (!/^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(next)) return i;
    SURROGATE_ESCAPE.lastIndex = i + 12;
  }
  return -1;
}

/**
 * Parses JSON text as derivation JSON readers take it (see the module doc). `text` is what
 * {@link decodeJsonBytes} returns, or any JS string.
 */
export function parseDerivationJsonText(text: string, options: { file?: string } = {}): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const index = at === null ? text.length : Number(at[1]);
    const offset = byteOffset(text, index);
    const detail = `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, "")}`;
    if (/end of (JSON )?input|Unterminated string/.test(message) && index >= text.trimEnd().length)
      throw new DerivationJsonTruncatedError("derivation-json.truncated", detail, {
        offset,
        file: options.file,
      });
    throw new DerivationJsonSyntaxError("derivation-json.syntax", detail, {
      offset,
      file: options.file,
    });
  }
  if (text.includes("\\u")) {
    const i = loneSurrogateEscape(text);
    if (i >= 0) {
      throw new DerivationJsonSyntaxError(
        "derivation-json.lone-surrogate",
        `invalid JSON: ${text.slice(i, i + 6)} is a lone surrogate (Nix's JSON reader refuses it)`,
        { offset: byteOffset(text, i), file: options.file },
      );
    }
  }
  VERSION_MEMBER.lastIndex = 0;
  for (let m = VERSION_MEMBER.exec(text); m !== null; m = VERSION_MEMBER.exec(text)) {
    if (/[.eE]/.test(m[1]!)) {
      throw new DerivationJsonSyntaxError(
        "derivation-json.version-not-integer",
        `"version" must be an integer, found ${m[1]!.slice(0, 40)} (JSON.parse would read ${Number(m[1])})`,
        { offset: byteOffset(text, m.index), file: options.file },
      );
    }
  }
  return value;
}

/** A `"version"` member with a number (in any object: a derivation's version is never a fraction). */
const VERSION_MEMBER = /"version"\s*:\s*(-?[0-9][0-9.eE+-]*)/g;

/** JSON bytes as text, every byte kept (stray bytes as lone surrogates, see the module doc). */
export function decodeJsonBytes(bytes: Uint8Array): string {
  let start = 0;
  // a UTF-8 byte order mark is not JSON; nlohmann::json skips it, and so do we
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  return bytesToName(start === 0 ? bytes : bytes.subarray(start));
}

/** Parses derivation JSON from its bytes, keeping every byte (see the module doc). */
export function parseDerivationJsonBytes(
  bytes: Uint8Array,
  options: { file?: string } = {},
): unknown {
  return parseDerivationJsonText(decodeJsonBytes(bytes), options);
}
