import { describe, expect, it } from "vitest";
import {
  base64Decode,
  base64DecodeAsNix,
  computeHash,
  formatContentAddress,
  formatHash,
  HashError,
  Nixbase32Error,
  nixbase32Decode,
  nixbase32Encode,
  parseContentAddress,
  parseHash,
  parseMethodAlgo,
} from "../../src/core/index.js";

const HELLO = "hello\n";

describe("nixbase32", () => {
  it("encodes known vectors", () => {
    // `nix hash file --base32` of "hello\n" (sha256) and of the empty string
    expect(nixbase32Encode(computeHash("sha256", HELLO).digest)).toBe(
      "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq",
    );
    expect(nixbase32Encode(computeHash("sha256", "").digest)).toBe(
      "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73",
    );
    expect(nixbase32Encode(new Uint8Array([0x1f]))).toBe("0z");
    expect(nixbase32Encode(new Uint8Array())).toBe("");
  });

  it("rejects bad characters, lengths and leftover bits with the position", () => {
    const bad = (s: string, code: string, index?: number) => {
      try {
        nixbase32Decode(s);
        expect.unreachable(s);
      } catch (err) {
        expect(err).toBeInstanceOf(Nixbase32Error);
        expect((err as Nixbase32Error).code).toBe(code);
        if (index !== undefined) expect((err as Nixbase32Error).position.index).toBe(index);
      }
    };
    bad("0e", "nixbase32.invalid-character", 1);
    bad("u0", "nixbase32.invalid-character", 0);
    bad("z0", "nixbase32.non-zero-padding", 0);
    bad("000", "nixbase32.invalid-length");
    expect(nixbase32Decode("7z")).toEqual(new Uint8Array([0xff]));
  });
});

describe("hash parsing, as nix hash to-* does", () => {
  const sri = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";
  const hex = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  const n32 = "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq";

  it("accepts every form", () => {
    const h = computeHash("sha256", HELLO);
    for (const text of [sri, `sha256:${hex}`, `sha256:${n32}`, `sha256:${sri.slice(7)}`]) {
      expect(parseHash(text)).toEqual(h);
    }
    expect(parseHash(hex, { algorithm: "sha256" })).toEqual(h);
    expect(parseHash(hex.toUpperCase(), { algorithm: "sha256" })).toEqual(h);
    expect(formatHash(h, "base16")).toBe(`sha256:${hex}`);
    expect(formatHash(h, "nix32")).toBe(`sha256:${n32}`);
    expect(formatHash(h)).toBe(sri);
  });

  it("gives typed errors", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(HashError);
        return (err as HashError).code;
      }
      return "no error";
    };
    expect(code(() => parseHash(hex))).toBe("hash.missing-algorithm");
    expect(code(() => parseHash(`sha256:${n32}`, { algorithm: "sha1" }))).toBe(
      "hash.algorithm-mismatch",
    );
    expect(code(() => parseHash("sha256:abc"))).toBe("hash.invalid-length");
    expect(code(() => parseHash("sha3:abc"))).toBe("hash.unknown-algorithm");
    expect(code(() => parseHash(`sha256:${n32.slice(0, -1)}e`))).toBe(
      "nixbase32.invalid-character",
    );
    expect(code(() => parseHash("sha256-abc"))).toBe("hash.invalid-length");
  });

  it("knows every algorithm's sizes", () => {
    for (const [algo, b16] of [
      ["md5", 32],
      ["sha1", 40],
      ["sha256", 64],
      ["sha512", 128],
    ] as const) {
      const h = computeHash(algo, "x");
      expect(formatHash(h, "base16").length).toBe(algo.length + 1 + b16);
      expect(parseHash(formatHash(h, "nix32"))).toEqual(h);
    }
  });
});

describe("content addresses", () => {
  it("parses and prints the narinfo form", () => {
    const text = "fixed:r:sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq";
    const ca = parseContentAddress(text);
    expect(ca.method).toBe("nar");
    expect(formatContentAddress(ca)).toBe(text);
    expect(parseContentAddress("fixed:sha1:iwjz551fyw0cxcjgf4l6c879zabd6wpm").method).toBe("flat");
    expect(
      parseContentAddress(`text:${formatHash(computeHash("sha256", ""), "base16")}`).method,
    ).toBe("text");
    expect(() => parseContentAddress("fixed:r:abc")).toThrow();
    expect(() =>
      parseContentAddress(`text:${formatHash(computeHash("sha1", ""), "nix32")}`),
    ).toThrow(/sha256/);
    expect(() => parseContentAddress("blob:sha256:x")).toThrow(/text:/);
  });

  it("parses the derivation form", () => {
    expect(parseMethodAlgo("r:sha256")).toEqual({ method: "nar", algorithm: "sha256" });
    expect(parseMethodAlgo("sha1")).toEqual({ method: "flat", algorithm: "sha1" });
    expect(parseMethodAlgo("text:sha256")).toEqual({ method: "text", algorithm: "sha256" });
    expect(parseMethodAlgo("r:blake3")).toEqual({ method: "nar", algorithm: "blake3" });
    expect(() => parseMethodAlgo("r:blake2b")).toThrow();
  });

  it("base64 rejects bad padding", () => {
    expect(() => base64Decode("AB==")).toThrow(/non-zero/);
    expect(() => base64Decode("A=B=")).toThrow();
    expect(base64Decode("AA==")).toEqual(new Uint8Array([0]));
  });

  it("base64 as Nix 2.8 reads it: stops at '=', skips newlines, drops leftover bits", () => {
    expect(base64DecodeAsNix("AB")).toEqual(new Uint8Array([0]));
    expect(base64DecodeAsNix("AB=x!")).toEqual(new Uint8Array([0]));
    expect(base64DecodeAsNix("A\nQID")).toEqual(new Uint8Array([1, 2, 3]));
    expect(base64DecodeAsNix("")).toEqual(new Uint8Array([]));
    expect(() => base64DecodeAsNix("AQ!D")).toThrow(
      expect.objectContaining({ position: { index: 2 } }),
    );
  });
});
