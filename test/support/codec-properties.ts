/**
 * Shared checks of the codec property tests (worker and serve protocols): round trips, typed
 * errors on truncated input, library errors only on damaged input.
 */
import { expect } from "vitest";
import type { Codec } from "../../src/codecs/codec.js";
import { decode } from "../../src/codecs/decode.js";
import { encode } from "../../src/codecs/encode.js";
import { NixCompatError, TruncatedInputError } from "../../src/core/errors.js";

/** Encodes `value`, decodes it back to an equal value, and encodes that to the same bytes. */
export function roundTrip<T>(codec: Codec<T>, value: T): void {
  const bytes = encode(codec, value);
  const back = decode(codec, bytes);
  expect(back).toEqual(value);
  expect(encode(codec, back)).toEqual(bytes);
}

/** Every strict prefix fails with a TruncatedInputError. */
export function truncations<T>(codec: Codec<T>, bytes: Uint8Array): void {
  for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 16))) {
    expect(() => decode(codec, bytes.subarray(0, n))).toThrow(TruncatedInputError);
  }
}

/** Random damage never escapes as anything but a library error. */
export function damage<T>(codec: Codec<T>, bytes: Uint8Array, at: number, byte: number): void {
  const copy = bytes.slice();
  if (copy.length === 0) return;
  copy[at % copy.length] = byte;
  try {
    decode(codec, copy);
  } catch (err) {
    expect(err).toBeInstanceOf(NixCompatError);
  }
}
