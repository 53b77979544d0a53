import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkNarInfoSignatures,
  narInfoFingerprint,
  parseNarInfo,
  printNarInfo,
  signNarInfo,
  verifyNarInfo,
} from "../../src/narinfo/index.js";
import { generateSecretKey, publicKeyOf } from "../../src/signing/keys.js";
import { arbHash } from "../../src/testing/core.js";
import { arbNarInfo, arbNarInfoStorePath } from "../../src/testing/narinfo.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 60);
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("signing narinfos", () => {
  it("sign then verify holds, also after printing and parsing", () => {
    fc.assert(
      fc.property(arbNarInfo(), seed, (info, s) => {
        const key = generateSecretKey("test-key-1", s);
        const signed = signNarInfo(info, key);
        expect(signed.signatures).toHaveLength(info.signatures.length + 1);
        expect(verifyNarInfo(signed, [publicKeyOf(key)])).toBe(true);
        const back = parseNarInfo(printNarInfo(signed));
        expect(verifyNarInfo(back, [publicKeyOf(key)])).toBe(true);
        expect(verifyNarInfo(back, [{ ...publicKeyOf(key), name: "other" }])).toBe(false);
        // signing again with the same key adds nothing (deterministic signatures)
        expect(signNarInfo(signed, key).signatures).toHaveLength(signed.signatures.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("verify fails after any change to a signed field, holds after changes to the others", () => {
    const change = fc.oneof(
      arbNarInfoStorePath().map((p) => ({ field: "storePath" as const, value: p })),
      arbHash("sha256").map((h) => ({ field: "narHash" as const, value: h })),
      fc.integer({ min: 1, max: 2 ** 40 }).map((n) => ({ field: "narSize" as const, value: n })),
      arbNarInfoStorePath().map((p) => ({ field: "addReference" as const, value: p })),
      fc.constant({ field: "dropReference" as const, value: undefined }),
      fc.string({ minLength: 1 }).map((u) => ({ field: "url" as const, value: u })),
      arbNarInfoStorePath(".drv").map((d) => ({ field: "deriver" as const, value: d })),
    );
    fc.assert(
      fc.property(arbNarInfo(), seed, change, (info, s, c) => {
        const key = generateSecretKey("k", s);
        const signed = signNarInfo({ ...info, signatures: [] }, key);
        const before = narInfoFingerprint(signed);
        let changed = signed;
        switch (c.field) {
          case "storePath":
            changed = { ...signed, storePath: c.value };
            break;
          case "narHash":
            changed = { ...signed, narHash: c.value };
            break;
          case "narSize":
            changed = { ...signed, narSize: c.value };
            break;
          case "addReference":
            if (signed.references.some((r) => r.hash === c.value.hash && r.name === c.value.name))
              return;
            changed = { ...signed, references: [...signed.references, c.value] };
            break;
          case "dropReference":
            if (signed.references.length === 0) return;
            changed = { ...signed, references: signed.references.slice(1) };
            break;
          case "url":
            changed = { ...signed, url: c.value };
            break;
          case "deriver":
            changed = { ...signed, deriver: c.value };
            break;
        }
        const signedFieldChanged = narInfoFingerprint(changed) !== before;
        const unsignedField = c.field === "url" || c.field === "deriver";
        if (!unsignedField)
          expect(signedFieldChanged || JSON.stringify(changed) === JSON.stringify(signed)).toBe(
            true,
          );
        expect(verifyNarInfo(changed, [publicKeyOf(key)])).toBe(!signedFieldChanged);
        const checks = checkNarInfoSignatures(changed, [publicKeyOf(key)]);
        expect(checks.map((x) => x.status)).toEqual([signedFieldChanged ? "invalid" : "valid"]);
      }),
      { numRuns: RUNS },
    );
  });

  it("references are sorted by base name in the fingerprint, also when hashes share prefixes", () => {
    // hashes from two characters tie often in their first characters, and names decide
    // between equal hashes
    const arbRef = fc.record({
      hash: fc.string({ unit: fc.constantFrom("0", "1"), minLength: 32, maxLength: 32 }),
      name: fc.constantFrom("a", "b", "a-1", "b.2"),
    });
    fc.assert(
      fc.property(arbNarInfo(), fc.array(arbRef, { maxLength: 12 }), (info, references) => {
        const expected = references
          .map((r) => `${r.hash}-${r.name}`)
          .sort()
          .map((b) => `/nix/store/${b}`)
          .join(",");
        const fp = narInfoFingerprint({ ...info, references });
        expect(fp.slice(fp.lastIndexOf(";") + 1)).toBe(expected);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it("reference order does not change the fingerprint (Nix sorts them)", () => {
    fc.assert(
      fc.property(arbNarInfo(), (info) => {
        const reversed = { ...info, references: [...info.references].reverse() };
        expect(narInfoFingerprint(reversed)).toBe(narInfoFingerprint(info));
      }),
      { numRuns: RUNS },
    );
  });
});
