import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NarInfoError,
  parseNarInfoFieldsWithGrammar,
  scanNarInfoFields,
} from "../../src/grammar/narinfo.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 300);

function outcome(
  f: () => unknown,
): { ok: true; value: unknown } | { ok: false; line: number | undefined } {
  try {
    return { ok: true, value: f() };
  } catch (err) {
    expect(err).toBeInstanceOf(NarInfoError);
    return { ok: false, line: (err as NarInfoError).position.line };
  }
}

describe("the fast narinfo scanner is pinned to the Parsimmon grammar", () => {
  const piece = fc.constantFrom(
    "StorePath",
    "Sig",
    "X-Foo",
    ":",
    ": ",
    " ",
    "\n",
    "\r",
    "a",
    "é",
    "sha256:abc",
    "\t",
    "",
  );
  const line = fc
    .tuple(fc.constantFrom("StorePath", "URL", "Sig", "Foo-Bar", "x"), fc.string({ maxLength: 6 }))
    .map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, "")}\n`);
  const text = fc.oneof(
    fc.array(piece, { maxLength: 20 }).map((p) => p.join("")),
    fc.array(line, { maxLength: 6 }).map((l) => l.join("")),
    fc
      .tuple(
        fc.array(line, { maxLength: 4 }),
        fc.array(piece, { maxLength: 4 }),
        fc.array(line, { maxLength: 3 }),
      )
      .map(([a, b, c]) => a.join("") + b.join("") + c.join("")),
  );

  it("same fields on success, failure on the same line", () => {
    fc.assert(
      fc.property(text, (t) => {
        const fast = outcome(() => scanNarInfoFields(t));
        const slow = outcome(() => parseNarInfoFieldsWithGrammar(t));
        expect(fast).toEqual(slow);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
