import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  base16Decode,
  base16Encode,
  base64Decode,
  base64Encode,
  formatContentAddress,
  formatDigest,
  formatHash,
  formatMethodAlgo,
  isNixCompatError,
  nixbase32Decode,
  nixbase32Encode,
  parseContentAddress,
  parseHash,
  parseMethodAlgo,
  parseStorePath,
  parseStorePathBaseName,
  storePathBaseName,
  storePathToAbsolute,
} from "../../src/core/index.js";
import {
  arbContentAddress,
  arbHash,
  arbHashEncoding,
  arbStorePath,
  arbStorePathName,
} from "../../src/testing/index.js";

/** Runs `fn`; passes if it returns or throws one of the library's errors. */
function onlyLibraryErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isNixCompatError(err)) throw err;
  }
}

describe("encodings round-trip", () => {
  it("nixbase32", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(nixbase32Decode(nixbase32Encode(bytes))).toEqual(bytes);
      }),
    );
  });
  it("base16", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(base16Decode(base16Encode(bytes))).toEqual(bytes);
      }),
    );
  });
  it("base64 agrees with Buffer and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = base64Encode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64"));
        expect(base64Decode(text)).toEqual(bytes);
      }),
    );
  });
  it("nixbase32 text either is rejected or decodes to bytes that encode back to it", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(..."0123456789abcdfghijklmnpqrsvwxyzeotu!"),
          maxLength: 60,
        }),
        (text) => {
          let bytes: Uint8Array;
          try {
            bytes = nixbase32Decode(text);
          } catch (err) {
            expect(isNixCompatError(err)).toBe(true);
            return;
          }
          expect(nixbase32Encode(bytes)).toBe(text);
        },
      ),
    );
  });
});

describe("hashes", () => {
  it("every hash in every encoding parses back to itself", () => {
    fc.assert(
      fc.property(arbHash(), arbHashEncoding, (hash, enc) => {
        expect(parseHash(formatHash(hash, enc))).toEqual(hash);
        expect(
          parseHash(formatDigest(hash, enc === "sri" ? "base64" : enc), {
            algorithm: hash.algorithm,
          }),
        ).toEqual(hash);
      }),
    );
  });
  it("parsers throw only library errors on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (s) => {
        onlyLibraryErrors(() => parseHash(s));
        onlyLibraryErrors(() => parseHash(s, { algorithm: "sha256" }));
        onlyLibraryErrors(() => parseContentAddress(s));
        onlyLibraryErrors(() => parseMethodAlgo(s));
        onlyLibraryErrors(() => nixbase32Decode(s));
        onlyLibraryErrors(() => base64Decode(s));
        onlyLibraryErrors(() => base16Decode(s));
        onlyLibraryErrors(() => parseStorePath(s));
        onlyLibraryErrors(() => parseStorePathBaseName(s));
      }),
    );
  });
  it("mutated hash strings give library errors or a valid hash", () => {
    fc.assert(
      fc.property(
        arbHash(),
        arbHashEncoding,
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        (hash, enc, pos, ch) => {
          const text = formatHash(hash, enc);
          const i = pos % text.length;
          const mutated = text.slice(0, i) + ch + text.slice(i + 1);
          onlyLibraryErrors(() => parseHash(mutated));
          onlyLibraryErrors(() => parseHash(text.slice(0, i)));
        },
      ),
    );
  });
});

describe("content addresses", () => {
  it("round-trip in narinfo form", () => {
    fc.assert(
      fc.property(arbContentAddress, (ca) => {
        expect(parseContentAddress(formatContentAddress(ca))).toEqual(ca);
      }),
    );
  });
  it("method/algo round-trips in derivation form", () => {
    fc.assert(
      fc.property(arbContentAddress, (ca) => {
        expect(parseMethodAlgo(formatMethodAlgo(ca.method, ca.hash.algorithm))).toEqual({
          method: ca.method,
          algorithm: ca.hash.algorithm,
        });
      }),
    );
  });
});

describe("store paths", () => {
  it("parse/print round-trips", () => {
    fc.assert(
      fc.property(arbStorePath(), (sp) => {
        expect(parseStorePath(storePathToAbsolute(sp))).toEqual(sp);
        expect(parseStorePathBaseName(storePathBaseName(sp))).toEqual(sp);
        expect(
          parseStorePath(storePathToAbsolute(sp, "/gnu/store"), { storeDir: "/gnu/store" }),
        ).toEqual(sp);
      }),
    );
  });
  it("accepts every generated name up to 211 characters", () => {
    fc.assert(
      fc.property(arbStorePathName(), (name) => {
        expect(parseStorePathBaseName(`00000000000000000000000000000000-${name}`).name).toBe(name);
      }),
    );
  });
});
