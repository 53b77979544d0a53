import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NarInfoError, printNarInfo } from "../../src/narinfo/index.js";
import { fastParseNarInfo } from "../../src/narinfo/fast-parse.js";
import { parseNarInfo, parseNarInfoWithGrammar } from "../../src/narinfo/parse.js";
import { arbNarInfo } from "../../src/testing/narinfo.js";
import { fixturePath } from "../support/fixtures.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 300);

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; line: number | undefined };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (err) {
    expect(err).toBeInstanceOf(NarInfoError);
    const e = err as NarInfoError;
    return { ok: false, code: e.code, line: e.position.line };
  }
}

/**
 * The fast path either declines or gives exactly the value of the full parser, and
 * `parseNarInfo` (fast path first) behaves exactly like the full parser: same value, or the
 * same error class, code and line.
 */
function checkAgainstFullParser(text: string): void {
  const full = outcome(() => parseNarInfoWithGrammar(text));
  const fast = fastParseNarInfo(text);
  if (fast !== undefined) {
    expect(full.ok).toBe(true);
    expect(fast).toStrictEqual((full as { value: unknown }).value);
  }
  expect(outcome(() => parseNarInfo(text))).toStrictEqual(full);
}

describe("the narinfo fast path is pinned to the full parser", () => {
  it("canonical narinfos: same value, and the fast path takes most of them", () => {
    let runs = 0;
    let accepted = 0;
    fc.assert(
      fc.property(arbNarInfo({ canonical: true }), (info) => {
        const text = printNarInfo(info);
        checkAgainstFullParser(text);
        runs++;
        if (fastParseNarInfo(text) !== undefined) accepted++;
      }),
      { numRuns: RUNS },
    );
    // it declines only what it leaves to the full parser (names with a leading dot, ...)
    expect(accepted).toBeGreaterThan(runs / 2);
  });

  it("narinfos with any quirk: same value or same error", () => {
    fc.assert(
      fc.property(arbNarInfo(), (info) => checkAgainstFullParser(printNarInfo(info))),
      { numRuns: RUNS },
    );
  });

  // mutated narinfos: test/property/narinfo-grammar.test.ts

  it("edge cases around what the fast path checks", () => {
    const base = printNarInfo({
      storePath: { hash: "0a3yijp35sygmy51cnrrz11vimwapz7c", name: "dbus-conf" },
      url: "nar/x.nar.xz",
      compression: "xz",
      fileHash: undefined,
      fileSize: 3020,
      narHash: { algorithm: "sha256", digest: new Uint8Array(32).fill(0xab) },
      narSize: 11408,
      references: [
        { hash: "0a3yijp35sygmy51cnrrz11vimwapz7c", name: "dbus-conf" },
        { hash: "0a3yijp35sygmy51cnrrz11vimwapz7d", name: "a" },
      ],
      deriver: undefined,
      system: undefined,
      signatures: [{ keyName: "k-1", sig: new Uint8Array(64).fill(0xff) }],
      ca: undefined,
      unknownFields: [],
      quirks: {
        narHashEncoding: "nix32",
        fileHashEncoding: "nix32",
        caHashEncoding: "nix32",
        referencesAbsent: false,
        unknownDeriver: false,
        fieldOrder: undefined,
      },
    });
    expect(fastParseNarInfo(base)).toBeDefined();
    const variants = [
      base,
      base.replace("FileSize: 3020", "FileSize: 9007199254740991"),
      base.replace("FileSize: 3020", "FileSize: 9007199254740992"),
      base.replace("FileSize: 3020", "FileSize: 9999999999999999"),
      base.replace("FileSize: 3020", "FileSize: 0"),
      base.replace("FileSize: 3020", "FileSize: 03020"),
      base.replace("NarSize: 11408", "NarSize: 0"),
      base.replace("NarSize: 11408", "NarSize: 9007199254740992"),
      base.replace("dbus-conf 0a3y", "dbus-conf 0a3y".replace("0a3y", "0a3y")),
      base.replace("7d-a", "7c-dbus-conf"),
      base.replace("7d-a", "7b-a"),
      base.replace("7d-a", "7c-a"),
      base.replace("7d-a", "7c-dbus-conf0"),
      // the second reference's hash against the first's (0a3y…): the same first two
      // characters and smaller or larger after them; smaller or larger in the first two
      base.replace("0a3yijp35sygmy51cnrrz11vimwapz7d", "0a0yijp35sygmy51cnrrz11vimwapz7d"),
      base.replace("0a3yijp35sygmy51cnrrz11vimwapz7d", "0a4yijp35sygmy51cnrrz11vimwapz7d"),
      base.replace("0a3yijp35sygmy51cnrrz11vimwapz7d", "09zzijp35sygmy51cnrrz11vimwapz7d"),
      base.replace("0a3yijp35sygmy51cnrrz11vimwapz7d", "0b00ijp35sygmy51cnrrz11vimwapz7d"),
      base.replace("0a3yijp35sygmy51cnrrz11vimwapz7d", "1a3yijp35sygmy51cnrrz11vimwapz7d"),
      base.replace("7d-a", `7d-${"a".repeat(211)}`),
      base.replace("7d-a", `7d-${"a".repeat(212)}`),
      base.replace("-dbus-conf\nURL", `-${"b".repeat(212)}\nURL`),
      base.replace("7d-a", "7d-.a"),
      base.replace("References: ", "References:  "),
      base.replace(/References: .*\n/, "References: \n"),
      base.replace(/References: .*\n/, ""),
      base.replace("Compression: xz\n", ""),
      base.replace("Compression: xz\n", "Compression: \n"),
      base.replace("URL: nar/x.nar.xz\n", "URL: \n"),
      base.replace("URL: nar/x.nar.xz\n", "URL: é\n"),
      base.replace("Sig: k-1:", "Sig: :"),
      base.replace("Sig: k-1:", "Sig: k:1:"),
      base.replace(/\/\/w==\n/, "//8=\n"),
      base.replace(/(Sig: .*\n)/, "$1$1"),
      base.replace(/(Sig: .*\n)/, "$1Sig: other:$1".replace("Sig: other:Sig: ", "Sig: other:")),
      `${base}CA: fixed:r:sha256:${"0".repeat(52)}\n`,
      `${base}CA: fixed:r:sha256:${"A".repeat(64)}\n`,
      `${base}CA: text:sha256:${"a".repeat(64)}\n`,
      `${base}CA: bogus\n`,
      `${base}X-Foo: bar\n`,
      base.replace("NarSize", "Deriver: unknown-deriver\nNarSize"),
      base.replace("Sig:", "Deriver: unknown-deriver\nSig:"),
      base.replace("Sig:", "Deriver: 0a3yijp35sygmy51cnrrz11vimwapz7c-x.drv\nSig:"),
      base.replace("Sig:", "System: x86_64-linux\nSig:"),
      base.replace("Sig:", "System: x86_64-linux\r\nSig:"),
      base.replace("NarHash: sha256:", "NarHash: sha256:2"),
      base.replace("NarHash: sha256:", "NarHash: sha512:"),
      base.replace("Compression: xz\n", `Compression: xz\nFileHash: sha256:${"0".repeat(52)}\n`),
      base.replace("Compression: xz\n", `Compression: xz\nFileHash: sha256:${"2".repeat(52)}\n`),
      base.replace("Compression: xz\n", `Compression: xz\nFileHash: sha256:${"ab".repeat(32)}\n`),
      base.replace("Compression: xz\n", `Compression: xz\nFileHash: sha256:${"AB".repeat(32)}\n`),
      base.slice(0, -1),
      `${base}\n`,
    ];
    for (const v of variants) checkAgainstFullParser(v);
  });
});

describe("the narinfo fast path on the cache.nixos.org corpus", () => {
  it("accepts every entry, with the full parser's value", () => {
    const text = readFileSync(fixturePath("narinfo", "cache-nixos-org.narinfo.txt"), "utf8");
    const entries = text.split("\n\n").map((e, i, all) => (i < all.length - 1 ? `${e}\n` : e));
    expect(entries.length).toBe(652);
    for (const e of entries) {
      const fast = fastParseNarInfo(e);
      expect(fast).toBeDefined();
      expect(fast).toStrictEqual(parseNarInfoWithGrammar(e));
    }
  });
});
