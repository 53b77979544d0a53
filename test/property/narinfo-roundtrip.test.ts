import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/core/errors.js";
import { parseStorePathBaseName } from "../../src/core/store-path.js";
import {
  NarInfoError,
  narInfoFingerprint,
  normaliseNarInfo,
  parseNarInfo,
  printNarInfo,
} from "../../src/narinfo/index.js";
import { arbNarInfo } from "../../src/testing/narinfo.js";
import { arbTextMutation, mutateText } from "../../src/testing/text-mutation.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 300);

describe("narinfo print/parse properties", () => {
  it("any narinfo (every quirk) prints to text that parses back to the same value and text", () => {
    fc.assert(
      fc.property(arbNarInfo(), (info) => {
        const text = printNarInfo(info);
        const back = parseNarInfo(text);
        expect(back).toEqual(info);
        expect(printNarInfo(back)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("normalising keeps the fingerprint and gives a canonical file", () => {
    fc.assert(
      fc.property(arbNarInfo(), (info) => {
        const n = normaliseNarInfo(info);
        expect(narInfoFingerprint(n)).toBe(narInfoFingerprint(info));
        const text = printNarInfo(n);
        expect(parseNarInfo(text)).toEqual(n);
        expect(normaliseNarInfo(n)).toEqual(n);
      }),
      { numRuns: RUNS },
    );
  });

  it("mutated files give a typed error or parse and print back exactly", () => {
    const mutation = arbTextMutation({ maxDelete: 8, maxInsert: 4 });
    fc.assert(
      fc.property(arbNarInfo(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (info, ms) => {
        const text = mutateText(printNarInfo(info), ms);
        let parsed: ReturnType<typeof parseNarInfo> | undefined;
        try {
          parsed = parseNarInfo(text);
        } catch (err) {
          expect(err).toBeInstanceOf(NarInfoError);
          expect(err).toBeInstanceOf(MalformedInputError);
          expect((err as NarInfoError).code).toMatch(/^narinfo\.[a-z-]+$/);
          return;
        }
        expect(printNarInfo(parsed)).toBe(text);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("the fast References check agrees with the store path rules of src/core", () => {
    const chars = "0123456789abcdefghijklmnopqrstuvwxyzA.-_+?=é ";
    const token = fc.oneof(
      fc.string({ unit: fc.constantFrom(...chars.split("")), minLength: 30, maxLength: 50 }),
      fc
        .tuple(
          fc.string({
            unit: fc.constantFrom(..."0123456789abcdfgz".split("")),
            minLength: 32,
            maxLength: 32,
          }),
          fc.string({ unit: fc.constantFrom(...chars.split("")), minLength: 0, maxLength: 12 }),
        )
        .map(([h, n]) => `${h}-${n}`),
    );
    const head =
      "StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-x\nURL: u\nNarHash: sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw\nNarSize: 1\n";
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 4 }), (refs) => {
        const value = refs.join(" ");
        // Nix 2.8's reading: the set of the space-separated words, each a valid base name
        const words = [...new Set(value.split(" ").filter((w) => w.length > 0))];
        let expected: boolean;
        try {
          for (const p of words) parseStorePathBaseName(p);
          expected = true;
        } catch {
          expected = false;
        }
        let ok: boolean;
        try {
          const text = `${head}References: ${value}\n`;
          const info = parseNarInfo(text);
          expect(info.references.map((r) => `${r.hash}-${r.name}`)).toEqual(words);
          expect(printNarInfo(info)).toBe(text);
          ok = true;
        } catch (err) {
          expect(err).toBeInstanceOf(NarInfoError);
          ok = false;
        }
        expect(ok).toBe(expected);
        // StorePath and Deriver take the same fast path for one base name
        const one = refs[0]!;
        let coreOk: boolean;
        try {
          parseStorePathBaseName(one);
          coreOk = !one.includes(" ");
        } catch {
          coreOk = false;
        }
        const tail =
          "URL: u\nNarHash: sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw\nNarSize: 1\n";
        const accepts = (t: string) => {
          try {
            parseNarInfo(t);
            return true;
          } catch (err) {
            expect(err).toBeInstanceOf(NarInfoError);
            return false;
          }
        };
        expect(accepts(`StorePath: /nix/store/${one}\n${tail}`)).toBe(coreOk);
        expect(accepts(`${head}Deriver: ${one}\n`)).toBe(coreOk);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
