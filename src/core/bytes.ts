/**
 * Recognising byte arrays by what they are, not by which realm made them.
 *
 * A `Uint8Array` made in another realm (an iframe, a `node:vm` context, some test
 * environments) is not an `instanceof` this realm's `Uint8Array`. Everywhere the library tells
 * bytes apart from other input, it asks {@link isBytes} instead.
 *
 * @module
 */

const toStringTag = Object.prototype.toString;

/**
 * True when `value` is a `Uint8Array` of any realm (a Node `Buffer` included); false for other
 * typed arrays, `DataView`s and `ArrayBuffer`s.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && toStringTag.call(value) === "[object Uint8Array]")
  );
}

/**
 * The bytes of a binary string (one character per byte, as `String.fromCharCode` over bytes
 * or a `latin1` decode makes it): each character's low 8 bits.
 */
export function binaryStringBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Concatenates byte arrays into a new one (always a copy, never a view on a part). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
