import { describe, expect, it } from "vitest";
import { framedBytes, u64Bytes, utf8Bytes } from "../../src/codecs/index.js";
import {
  LimitExceededError,
  type MalformedInputError,
  TruncatedInputError,
} from "../../src/core/errors.js";
import {
  encodeNar,
  NAR_TOKENS,
  type NarNode,
  type NarReadOptions,
  parseNar,
  readNar,
  readNarDeclarative,
} from "../../src/nar/index.js";

const s = (t: string) => framedBytes(utf8Bytes(t));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const T = NAR_TOKENS;
const symlinkNode = (target: Uint8Array) =>
  cat(T.open, T.type, T.symlink, T.target, framedBytes(target), T.close);
const entry = (name: Uint8Array, node: Uint8Array) =>
  cat(T.entry, T.open, T.name, framedBytes(name), T.node, node, T.close);
const dir = (...entries: Uint8Array[]) => cat(T.open, T.type, T.directory, ...entries, T.close);
const nar = (root: Uint8Array) => cat(T.magic, root);
const link = symlinkNode(utf8Bytes("t"));

/** Runs the three readers; all must fail alike. Returns the error. */
async function rejects(
  bytes: Uint8Array,
  options: NarReadOptions = {},
): Promise<MalformedInputError> {
  const errors: MalformedInputError[] = [];
  try {
    parseNar(bytes, options);
  } catch (e) {
    errors.push(e as MalformedInputError);
  }
  for (const read of [readNar, readNarDeclarative]) {
    try {
      for await (const _ of read([bytes], options)) {
        // drain
      }
    } catch (e) {
      errors.push(e as MalformedInputError);
    }
  }
  expect(errors).toHaveLength(3);
  for (const e of errors.slice(1)) {
    expect(e.constructor).toBe(errors[0]!.constructor);
    expect(e.code).toBe(errors[0]!.code);
    expect(e.position.offset).toBe(errors[0]!.position.offset);
  }
  return errors[0]!;
}

describe("Nix's NAR rules on read", () => {
  it("entries strictly increasing as bytes, not as JavaScript strings", async () => {
    const a = utf8Bytes("a");
    const b = utf8Bytes("b");
    const unsorted = await rejects(nar(dir(entry(b, link), entry(a, link))));
    expect(unsorted.code).toBe("nar.unsorted-entries");
    // at the start of the second entry (after its `entry` token)
    const second =
      T.magic.length +
      cat(T.open, T.type, T.directory).length +
      entry(b, link).length +
      T.entry.length;
    expect(unsorted.position.offset).toBe(second);
    expect((await rejects(nar(dir(entry(a, link), entry(a, link))))).code).toBe(
      "nar.duplicate-entry",
    );
    // "ｚ" (EF BD 9A) sorts before "😀" (F0 9F 98 80) as bytes, after it in JavaScript
    const z = utf8Bytes("ｚ");
    const smile = utf8Bytes("😀");
    expect("😀" < "ｚ").toBe(true);
    const ok = nar(dir(entry(z, link), entry(smile, link)));
    expect(parseNar(ok)).toMatchObject({ entries: [{ name: "ｚ" }, { name: "😀" }] });
    expect((await rejects(nar(dir(entry(smile, link), entry(z, link))))).code).toBe(
      "nar.unsorted-entries",
    );
  });

  it("names: non-empty, no slash, no NUL, not . or .., at most 255 bytes (overridable)", async () => {
    for (const bad of ["", ".", "..", "a/b", "a\0b"]) {
      expect((await rejects(nar(dir(entry(utf8Bytes(bad), link))))).code).toBe("nar.invalid-name");
    }
    const long = utf8Bytes("x".repeat(256));
    const e = await rejects(nar(dir(entry(long, link))));
    expect(e).toBeInstanceOf(LimitExceededError);
    expect(parseNar(nar(dir(entry(long, link))), { limits: { "nar.name": 256 } }).type).toBe(
      "directory",
    );
    expect(parseNar(nar(dir(entry(utf8Bytes("..."), link)))).type).toBe("directory");
  });

  it("symlink targets: non-empty, no NUL, at most 4095 bytes", async () => {
    expect((await rejects(nar(symlinkNode(new Uint8Array(0))))).code).toBe("nar.invalid-target");
    expect((await rejects(nar(symlinkNode(utf8Bytes("a\0b"))))).code).toBe("nar.invalid-target");
    expect(await rejects(nar(symlinkNode(new Uint8Array(4096).fill(0x61))))).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it("exact tokens, nothing after the root, zero padding, complete input, depth limit", async () => {
    const good = encodeNar({ type: "regular", executable: false, contents: utf8Bytes("hi") });
    const trailing = await rejects(cat(good, u64Bytes(0)));
    expect(trailing.code).toBe("nar.trailing-data");
    expect(trailing.position.offset).toBe(good.length);
    const magic = await rejects(cat(s("nix-archive-2"), good.subarray(T.magic.length)));
    expect(magic.code).toBe("nar.unexpected-token");
    expect(magic.position).toMatchObject({ offset: 0, rule: "nar.magic" });
    const upper = await rejects(cat(T.magic, T.open, T.type, s("Regular")));
    expect(upper.code).toBe("nar.unexpected-token");
    const padded = new Uint8Array(good);
    padded[good.length - 16 - 1] = 1; // last padding byte of the contents
    expect((await rejects(padded)).code).toBe("nar.nonzero-padding");
    for (let cut = 0; cut < good.length; cut += 1) {
      expect(await rejects(good.subarray(0, cut))).toBeInstanceOf(TruncatedInputError);
    }
    let deep: NarNode = { type: "symlink", target: "t" };
    for (let i = 0; i < 30; i++) deep = { type: "directory", entries: [{ name: "d", node: deep }] };
    const deepNar = encodeNar(deep);
    expect(parseNar(deepNar)).toEqual(deep);
    const tooDeep = await rejects(deepNar, { limits: { "codec.depth": 10 } });
    expect(tooDeep).toBeInstanceOf(LimitExceededError);
  });
});
