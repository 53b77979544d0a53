/**
 * The narinfo grammar (src/grammar/narinfo.ts) against the fast path (src/narinfo/fast-parse.ts):
 * on random narinfos the same values and the same printed bytes; on mutated ones the fast path
 * declines or gives the grammar's value, and every refusal is the grammar's (a code it
 * documents, its rule, what it expected, and a position that points into the text).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readNarInfoLines } from "../../src/grammar/narinfo.js";
import { fastParseNarInfo } from "../../src/narinfo/fast-parse.js";
import { NarInfoError } from "../../src/narinfo/narinfo-error.js";
import { parseNarInfo, parseNarInfoWithGrammar } from "../../src/narinfo/parse.js";
import { printNarInfo } from "../../src/narinfo/print.js";
import { arbNarInfo } from "../../src/testing/narinfo.js";
import {
  arbTextMutation,
  mutateText,
  NARINFO_MUTATION_TOKENS,
} from "../../src/testing/text-mutation.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 300);

/** The codes the grammar's module comment lists. */
const CODES = [
  "narinfo.malformed-line",
  "narinfo.missing-final-newline",
  "narinfo.empty-value",
  "narinfo.missing-hash-prefix",
  "narinfo.wrong-hash-algorithm",
  "narinfo.bad-hash",
  "narinfo.bad-size",
  "narinfo.bad-store-path",
  "narinfo.bad-signature",
  "narinfo.bad-content-address",
  "narinfo.duplicate-field",
  "narinfo.missing-field",
];

/** The grammar's refusal as an error, checked to be one the grammar describes. */
function refusal(text: string): NarInfoError | undefined {
  try {
    parseNarInfoWithGrammar(text);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(NarInfoError);
    const e = err as NarInfoError;
    expect(CODES).toContain(e.code);
    expect(e.expected.length).toBeGreaterThan(0);
    expect(e.position.rule).toMatch(/^narinfo(\.|$)/);
    if (e.code === "narinfo.missing-field") {
      expect(e.position.line).toBeUndefined();
    } else {
      // line and column point at the character the byte offset counts to
      const { line, column, offset } = e.position;
      const lines = text.split("\n");
      const before = [...lines.slice(0, line! - 1), lines[line! - 1]!.slice(0, column! - 1)];
      expect(new TextEncoder().encode(before.join("\n")).length).toBe(offset);
    }
    return e;
  }
}

function checkText(text: string): void {
  const fast = fastParseNarInfo(text);
  const error = refusal(text);
  if (error !== undefined) {
    expect(fast).toBeUndefined();
    expect(() => parseNarInfo(text)).toThrow(error);
    return;
  }
  const value = parseNarInfoWithGrammar(text);
  expect(printNarInfo(value)).toBe(text);
  if (fast !== undefined) {
    expect(fast).toStrictEqual(value);
    expect(printNarInfo(fast)).toBe(text);
  }
}

describe("the narinfo grammar and the fast path", () => {
  it("random narinfos, canonical or with quirks: the same values and printed bytes", () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.oneof(arbNarInfo({ canonical: true }), arbNarInfo()), (info) => {
        const text = printNarInfo(info);
        checkText(text);
        expect(readNarInfoLines(text).status).toBe(true);
        if (fastParseNarInfo(text) !== undefined) taken++;
      }),
      { numRuns: RUNS },
    );
    expect(taken).toBeGreaterThan(0);
  });

  it("mutated narinfos: the fast path declines or agrees; every refusal is the grammar's", () => {
    const mutation = arbTextMutation({ tokens: NARINFO_MUTATION_TOKENS });
    fc.assert(
      fc.property(
        fc.oneof(arbNarInfo({ canonical: true }), arbNarInfo()),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (info, ms) => checkText(mutateText(printNarInfo(info), ms)),
      ),
      { numRuns: RUNS * 5 },
    );
  });

  it("points at the fault: line, column, byte offset and what was expected", () => {
    const text = [
      "StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-é",
      "URL: nar/x.nar.xz",
      "NarHash: sha256:1ab0lmmi1b3c1bka9wd2sgpdv3n4b1s4rk7kbjvE52wmjgk3xxfj",
      "NarSize: 1",
      "",
    ].join("\n");
    const e = refusal(text)!;
    expect(e.code).toBe("narinfo.bad-store-path");
    expect(e.position).toMatchObject({ line: 1, column: 56, offset: 55 });
    const fixed = text.replace("-é", "-e");
    const h = refusal(fixed)!;
    expect(h.code).toBe("narinfo.bad-hash");
    expect(h.position).toMatchObject({ rule: "narinfo.NarHash", line: 3, column: 56 });
    expect(h.message).toContain("52 nix32");
  });
});
