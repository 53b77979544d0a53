/**
 * Base16 (lowercase hexadecimal), as Nix prints digests. Decoding accepts upper and lower case.
 *
 * @module
 */
import { MalformedInputError } from "./errors.js";

const HEX = "0123456789abcdef";
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

/** Error for text that is not valid base16. */
export class Base16Error extends MalformedInputError {}

/** Encodes bytes as lowercase hex. */
export function base16Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!];
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Decodes hex text (either case). Throws {@link Base16Error} with the character index. */
export function base16Decode(text: string): Uint8Array {
  if (text.length % 2 !== 0) {
    throw new Base16Error("base16.odd-length", `base16 string has odd length ${text.length}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const index = hi < 0 ? 2 * i : 2 * i + 1;
      throw new Base16Error(
        "base16.invalid-character",
        `invalid character ${JSON.stringify(text[index])} in base16 string`,
        { index },
      );
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}
