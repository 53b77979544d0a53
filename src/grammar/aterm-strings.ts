/**
 * ATerm strings without the grammar machinery: binary strings (one char per byte), UTF-8
 * checks, and Nix's escapes, for the hand-written scanner and printer (which do not load
 * Parsimmon). `aterm.ts` re-exports all of it.
 *
 * ```text
 * string = '"' ( char | '\' escape )* '"'      escape: \\ \" \n \r \t
 * ```
 *
 * @module
 */
import { binaryStringBytes } from "../core/bytes.js";
import { ATermSyntaxError } from "./aterm-errors.js";

/** Text, or raw bytes when they are not valid UTF-8 (the derivation model's `DrvString`). */
type TextOrBytes = string | Uint8Array;

/** A string term: `value` is a binary string (one char per byte) of the unescaped bytes. */
export interface ATermString {
  readonly type: "string";
  readonly value: string;
  /** Byte offset of the opening quote. */
  readonly offset: number;
}

/** A list term `[a,b]`. */
export interface ATermList {
  readonly type: "list";
  readonly items: readonly ATerm[];
  readonly offset: number;
}

/** A tuple term `(a,b)`. */
export interface ATermTuple {
  readonly type: "tuple";
  readonly items: readonly ATerm[];
  readonly offset: number;
}

/** A constructor application `Name(a,b)`. */
export interface ATermAppl {
  readonly type: "appl";
  readonly name: string;
  readonly args: readonly ATerm[];
  readonly offset: number;
}

/** Any ATerm. */
export type ATerm = ATermString | ATermList | ATermTuple | ATermAppl;

/** Decodes bytes to a binary string (char code = byte). Lossless; not WHATWG "latin1" (which is cp1252). */
export function bytesToBinary(bytes: Uint8Array): string {
  let out = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(i + CHUNK, bytes.length)) as unknown as number[],
    );
  }
  return out;
}

const NON_ASCII = /[\x80-\xff]/;
const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Decodes bytes as UTF-8, or returns undefined if they are not valid UTF-8. */
export function decodeUtf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Binary string → text when its bytes are valid UTF-8, else the raw bytes. */
export function binaryToDrvString(binary: string): TextOrBytes {
  if (!NON_ASCII.test(binary)) return binary;
  const bytes = binaryStringBytes(binary);
  return decodeUtf8OrUndefined(bytes) ?? bytes;
}

/** Binary string → text; throws `aterm.invalid-utf8` at `offset` when the bytes are not UTF-8. */
export function binaryToText(binary: string, offset: number, what = "string"): string {
  const v = binaryToDrvString(binary);
  if (typeof v === "string") return v;
  throw new ATermSyntaxError(
    "aterm.invalid-utf8",
    `${what} is not valid UTF-8 (only environment values and arguments may hold raw bytes)`,
    { offset },
  );
}

/**
 * A lone low surrogate U+DC80–U+DCFF: in a name that is not valid UTF-8 (see
 * {@link bytesToName}), one raw byte 0x80–0xFF.
 */
const RAW_BYTE_CHAR = /(?<![\ud800-\udbff])[\udc80-\udcff]/;

/** True if `text` holds raw bytes written as lone surrogates (see {@link bytesToName}). */
export function hasRawByteChars(text: string): boolean {
  return RAW_BYTE_CHAR.test(text);
}

/**
 * The name for bytes that may not be UTF-8, as a JS string: the text when the bytes are valid
 * UTF-8, else each byte that is not part of a valid UTF-8 sequence becomes the lone surrogate
 * U+DC00 + byte (U+DC80–U+DCFF; Python's "surrogateescape"). Lossless, and never the same
 * string as a valid UTF-8 name (UTF-8 cannot encode surrogates). Derivations hold environment
 * names so, since map keys must be strings; {@link nameToBytes} is the inverse.
 */
export function bytesToName(bytes: Uint8Array): string {
  const text = decodeUtf8OrUndefined(bytes);
  if (text !== undefined) return text;
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const n = validSequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    } else {
      out += utf8Fatal.decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `i` (1-4), or 0 when the byte there starts none. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The bytes of a name: UTF-8, with lone surrogates U+DC80–U+DCFF as raw bytes (see {@link bytesToName}). */
export function nameToBytes(name: string): Uint8Array {
  return binaryStringBytes(textToBinary(name));
}

/**
 * Text → binary string of its bytes: UTF-8, except that lone surrogates U+DC80–U+DCFF are
 * the raw bytes 0x80–0xFF (see {@link bytesToName}). Other lone surrogates become U+FFFD, as
 * in any UTF-8 encoding.
 */
export function textToBinary(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  if (!RAW_BYTE_CHAR.test(text)) return bytesToBinary(utf8Encoder.encode(text));
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out +=
        bytesToBinary(utf8Encoder.encode(text.slice(from, i))) + String.fromCharCode(c - 0xdc00);
      from = i + 1;
    }
  }
  return out + bytesToBinary(utf8Encoder.encode(text.slice(from)));
}

/** Binary string (one char per byte) → name (see {@link bytesToName}). */
export function binaryToName(binary: string): string {
  if (!NON_ASCII.test(binary)) return binary;
  return bytesToName(binaryStringBytes(binary));
}

/** Text or bytes → binary string (UTF-8 bytes for text, see {@link textToBinary}). */
export function drvStringToBinary(value: TextOrBytes): string {
  return typeof value === "string" ? textToBinary(value) : bytesToBinary(value);
}

/** The UTF-8 byte length of `text` (used to turn string indexes into byte offsets). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const ESCAPE_TEST = /["\\\n\r\t]/;
/** {@link ESCAPE_TEST}, or a character that may be a raw byte (a low surrogate U+DC80–U+DCFF). */
const ESCAPE_OR_RAW_TEST = /["\\\n\r\t\udc80-\udcff]/;
const ESCAPES: string[] = [];
ESCAPES[0x22] = '\\"';
ESCAPES[0x5c] = "\\\\";
ESCAPES[0x0a] = "\\n";
ESCAPES[0x0d] = "\\r";
ESCAPES[0x09] = "\\t";

function escapeLoop(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const e = ESCAPES[text.charCodeAt(i)];
    if (e !== undefined) {
      out += text.slice(from, i) + e;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** Escapes a string body as Nix's `printString` does (`\\ \" \n \r \t`; nothing else). */
export function escapeATermString(text: string): string {
  return ESCAPE_TEST.test(text) ? escapeLoop(text) : text;
}

/** Characters `JSON.stringify` escapes but Nix does not (other controls, lone surrogates). */
const JSON_ONLY_ESCAPES = /[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]/;

/** Quotes and escapes: `"..."`. */
export function quoteATermString(text: string): string {
  if (!ESCAPE_TEST.test(text)) return `"${text}"`;
  // JSON.stringify escapes exactly `\\ \" \n \r \t` the same way, natively, when no other
  // control character (nor a lone surrogate) is present.
  if (!JSON_ONLY_ESCAPES.test(text)) return JSON.stringify(text);
  return `"${escapeLoop(text)}"`;
}

/**
 * {@link quoteATermString} for text that should need no raw bytes; `undefined` when it holds
 * some (lone surrogates U+DC80–U+DCFF, see {@link bytesToName}): print it as bytes then.
 * As fast as {@link quoteATermString} on ordinary text.
 */
export function quoteATermText(text: string): string | undefined {
  if (!ESCAPE_OR_RAW_TEST.test(text)) return `"${text}"`;
  if (RAW_BYTE_CHAR.test(text)) return undefined;
  return quoteATermString(text);
}

/**
 * Unescapes the body of a string token (between the quotes). `offset` is the byte offset of
 * the first body character, for the error on a bad escape. With `unknown`, an escape other
 * than `\\ \" \n \r \t` is read as Nix reads it (the character itself: `\x` is `x`) and
 * reported to `unknown` with its offset, instead of throwing.
 */
export function unescapeATermBody(
  body: string,
  offset: number,
  unknown?: (char: string, offset: number) => void,
): string {
  let bs = body.indexOf("\\");
  if (bs < 0) return body;
  let out = "";
  let from = 0;
  while (bs >= 0) {
    out += body.slice(from, bs);
    const c = body.charCodeAt(bs + 1);
    switch (c) {
      case 0x5c:
        out += "\\";
        break;
      case 0x22:
        out += '"';
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x74:
        out += "\t";
        break;
      default:
        if (unknown === undefined || bs + 1 >= body.length)
          throw badEscape(escapedChar(body, bs + 1, true), offset + bs);
        unknown(escapedChar(body, bs + 1, true), offset + bs);
        out += body.charAt(bs + 1);
    }
    from = bs + 2;
    bs = body.indexOf("\\", from);
  }
  return out + body.slice(from);
}

/** The error for `\x` where x is not one of `\ " n r t`. */
/**
 * The character after a backslash at index `i` of a string body, for {@link badEscape}: the
 * whole character (a surrogate pair in text; in a binary string, its UTF-8 sequence when that
 * is valid), so that both parsers and both scanner modes say the same; else the one unit.
 */
export function escapedChar(body: string, i: number, binary: boolean): string {
  if (!binary) {
    const cp = body.codePointAt(i);
    return cp === undefined ? "" : String.fromCodePoint(cp);
  }
  const b = body.charCodeAt(i);
  if (b >= 0xc0) {
    const len = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    const text = decodeUtf8OrUndefined(binaryStringBytes(body.slice(i, i + len)));
    if (text !== undefined) return text;
  }
  return body.charAt(i);
}

export function badEscape(char: string, offset: number): ATermSyntaxError {
  return new ATermSyntaxError(
    "aterm.bad-escape",
    `invalid escape sequence '\\${char}' in string (expected \\\\, \\", \\n, \\r or \\t)`,
    { offset },
  );
}

/**
 * Whether `body` (a string body as written, between the quotes) holds an escape that
 * `candidates` matches: a global regex matching a backslash and the character after it,
 * e.g. `/\\[^\\"nrt]/g` for any escape ATerm does not have. A match counts only when its
 * backslash starts an escape (an even run of backslashes before it). Without a lookbehind,
 * so the regex engine can skip ahead to each backslash.
 */
export function hasEscapeMatching(body: string, candidates: RegExp): boolean {
  candidates.lastIndex = 0;
  for (let m = candidates.exec(body); m !== null; m = candidates.exec(body)) {
    const i = m.index;
    let k = i - 1;
    while (k >= 0 && body.charCodeAt(k) === 0x5c) k--;
    if (((i - 1 - k) & 1) === 0) return true;
    candidates.lastIndex = i + 1;
  }
  return false;
}
