/**
 * fast-check arbitraries for NAR trees and NAR bytes.
 *
 * Names mix ASCII with characters whose JavaScript (UTF-16) order differs from their UTF-8
 * byte order (`😀` sorts before `ｚ` in JavaScript, after it as bytes), so order bugs show up.
 * File sizes cluster around multiples of 8 (padding edge cases).
 *
 * @module
 */
import fc from "fast-check";
import { compareBytes, utf8Bytes } from "../codecs/wire-bytes.js";
import type { NarEntry, NarNode } from "../nar/types.js";
import { encodeNar } from "../nar/writer.js";

const NAME_UNITS = [
  "a",
  "b",
  "B",
  "z",
  "_",
  "-",
  ".",
  "0",
  "9",
  " ",
  "é",
  "ß",
  "ｚ",
  "\uFFFD",
  "😀",
  "𐐀",
];

/** A valid NAR entry name (non-empty, no `/` or NUL, not `.` or `..`). */
export function arbNarName(maxLength = 6): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 1, maxLength })
    .filter((n) => n !== "." && n !== "..");
}

/** A valid symlink target: relative or absolute, possibly dangling. */
export const arbNarTarget: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.constantFrom("a", "b", "/", ".", "é", "😀", "-"),
    minLength: 1,
    maxLength: 20,
  }),
  fc.constantFrom("/nix/store/somewhere", "/dev/null", "..", ".", "../x/y", "/"),
);

/** File contents whose sizes cluster around multiples of 8. */
export function arbNarContents(maxSize = 200): fc.Arbitrary<Uint8Array> {
  const size = fc.oneof(
    fc.constantFrom(0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65),
    fc.nat(maxSize),
    fc
      .nat(Math.floor(maxSize / 8))
      .chain((k) => fc.integer({ min: Math.max(0, k * 8 - 1), max: k * 8 + 1 })),
  );
  return size.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
}

/** Sorts entries by name as UTF-8 bytes (the order Nix writes and reads). */
export function sortNarEntries(entries: readonly NarEntry[]): NarEntry[] {
  return [...entries].sort((a, b) => compareBytes(utf8Bytes(a.name), utf8Bytes(b.name)));
}

/** Options of {@link arbNarTree}. */
export interface NarTreeOptions {
  readonly maxDepth?: number;
  readonly maxEntries?: number;
  readonly maxFileSize?: number;
  /** Only directories at the root (default false: any node type). */
  readonly rootDirectory?: boolean;
}

/** A NAR tree with entries in NAR order (so read(write(tree)) equals tree). */
export function arbNarTree(options: NarTreeOptions = {}): fc.Arbitrary<NarNode> {
  const maxDepth = options.maxDepth ?? 3;
  const maxEntries = options.maxEntries ?? 4;
  const leaf: fc.Arbitrary<NarNode> = fc.oneof(
    fc.record({
      type: fc.constant("regular" as const),
      executable: fc.boolean(),
      contents: arbNarContents(options.maxFileSize ?? 200),
    }),
    fc.record({ type: fc.constant("symlink" as const), target: arbNarTarget }),
  );
  const dir = (depth: number): fc.Arbitrary<NarNode> =>
    fc
      .uniqueArray(
        fc.record({
          name: arbNarName(),
          node:
            depth >= maxDepth
              ? leaf
              : fc.oneof(
                  { weight: 3, arbitrary: leaf },
                  { weight: 1, arbitrary: fc.constant(null).chain(() => dir(depth + 1)) },
                ),
        }),
        { selector: (e) => e.name, maxLength: maxEntries },
      )
      .map((entries): NarNode => ({ type: "directory", entries: sortNarEntries(entries) }));
  return options.rootDirectory
    ? dir(0)
    : fc.oneof({ weight: 1, arbitrary: leaf }, { weight: 3, arbitrary: dir(0) });
}

/** The bytes of a valid NAR. */
export function arbNarBytes(options: NarTreeOptions = {}): fc.Arbitrary<Uint8Array> {
  return arbNarTree(options).map(encodeNar);
}
