import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isNixCompatError } from "../../src/core/errors.js";
import {
  type Derivation,
  type DrvString,
  derivationJsonProblems,
  derivationPath,
  derivationToJson,
  parseDerivationATerm,
  parseDerivationWithGrammar,
  printDerivationATerm,
  printShowDerivationJson,
  readDerivationJson,
  transcodeShowEntry,
} from "../../src/derivation/index.js";
import { DEFAULT_STORE_DIR } from "../../src/core/store-path.js";
import { scanCanonicalDerivation } from "../../src/derivation/aterm-scanner.js";
import { transcodeShowEntryBinary } from "../../src/derivation/show.js";
import { parseATerm, printATerm } from "../../src/grammar/aterm.js";
import { decodeUtf8OrUndefined, hasEscapeMatching } from "../../src/grammar/aterm-strings.js";
import { arbDerivation } from "../../src/testing/derivation.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 200);

function hasBytes(d: Derivation): boolean {
  return (
    d.args.some((a) => typeof a !== "string") ||
    [...d.env.values()].some((v) => typeof v !== "string")
  );
}

function outcome(fn: () => Derivation): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    if (!isNixCompatError(err)) throw err;
    return {
      error: err.constructor.name,
      truncated: err.truncated,
      code: err.code,
      offset: err.position.offset,
      message: err.message,
    };
  }
}

/** Random edits of a byte string. */
const arbMutation = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({
      op: fc.constant("insert" as const),
      at: fc.nat(),
      byte: fc.constantFrom(0x22, 0x5c, 0x28, 0x29, 0x5b, 0x5d, 0x2c, 0x41, 0xff, 0xc3, 0x6e),
    }),
    fc.record({
      op: fc.constant("replace" as const),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 3 },
);

type Edits = typeof arbMutation extends fc.Arbitrary<infer T> ? T : never;

/** The show-derivation member the model path prints for `bytes`, as a binary string. */
function viaModel(drvPath: string, bytes: Uint8Array): string {
  return Buffer.from(printShowDerivationJson([{ drvPath, drv: parseDerivationATerm(bytes) }]))
    .toString("latin1")
    .slice(2, -3);
}

function mutate(bytes: Uint8Array, edits: Edits): Uint8Array {
  let b = [...bytes];
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.op === "delete") b.splice(at, 1);
    else if (e.op === "insert") b.splice(at, 0, e.byte);
    else if (e.op === "replace") b[at] = e.byte;
    else b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

describe("derivation ATerm properties", () => {
  it("arbitrary derivation → ATerm → parse gives the same derivation (both parsers)", () => {
    fc.assert(
      fc.property(arbDerivation(), (drv) => {
        const bytes = printDerivationATerm(drv);
        expect(parseDerivationATerm(bytes)).toEqual(drv);
        expect(parseDerivationWithGrammar(bytes)).toEqual(drv);
        // the general ATerm grammar reads it; what it prints reads back as the same derivation
        // (it escapes `system`, which Nix writes raw), and prints back as it was written
        const general = printATerm(parseATerm(bytes));
        for (const parse of [parseDerivationATerm, parseDerivationWithGrammar]) {
          const read = parse(general);
          expect({ ...read, spelling: undefined }).toEqual(drv);
          expect(Buffer.from(printDerivationATerm(read)).equals(Buffer.from(general))).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("ATerm → JSON (every version) → ATerm gives the same bytes", () => {
    fc.assert(
      fc.property(
        arbDerivation({ rawBytes: false }),
        fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>,
        (drv, version) => {
          const bytes = printDerivationATerm(drv);
          const json = JSON.parse(JSON.stringify(derivationToJson(drv, { version })));
          const doc = readDerivationJson(json);
          expect(doc.shape.version === version || (version === 2 && doc.shape.version === 1)).toBe(
            true,
          );
          const back = printDerivationATerm(doc.entries[0]!.drv);
          expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("show-derivation JSON → model → JSON is stable (keyed v1)", () => {
    fc.assert(
      fc.property(arbDerivation({ rawBytes: false }), (drv) => {
        const drvPath = derivationPath(drv);
        const text = Buffer.from(printShowDerivationJson([{ drvPath, drv }])).toString("utf8");
        const doc = readDerivationJson(JSON.parse(text));
        expect(doc.shape).toEqual({ version: 1, form: "keyed" });
        const again = Buffer.from(
          printShowDerivationJson([{ drvPath, drv: doc.entries[0]!.drv }]),
        ).toString("utf8");
        expect(again).toBe(text);
        expect(JSON.parse(text)).toEqual({ [drvPath]: derivationToJson(drv) });
      }),
      { numRuns: RUNS },
    );
  });

  it("raw-byte values survive ATerm round trips and are written raw in show JSON", () => {
    fc.assert(
      fc.property(arbDerivation().filter(hasBytes), (drv) => {
        const bytes = printDerivationATerm(drv);
        expect(
          Buffer.from(printDerivationATerm(parseDerivationATerm(bytes))).equals(Buffer.from(bytes)),
        ).toBe(true);
        expect(() => derivationToJson(drv)).toThrow(/UTF-8/);
        expect(
          printShowDerivationJson([
            { drvPath: "/nix/store/00000000000000000000000000000000-x.drv", drv },
          ]).length,
        ).toBeGreaterThan(0);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("the fast scanner reads random canonical derivations as the grammar does, or declines", () => {
    let taken = 0;
    fc.assert(
      fc.property(arbDerivation({ rawBytes: false, dynamicOutputs: false }), (drv) => {
        const bytes = printDerivationATerm(drv);
        const text = decodeUtf8OrUndefined(bytes);
        const fast =
          text === undefined ? undefined : scanCanonicalDerivation(text, DEFAULT_STORE_DIR);
        if (fast === undefined) return;
        taken++;
        expect(fast).toEqual(parseDerivationWithGrammar(bytes));
      }),
      { numRuns: RUNS },
    );
    // the canonical form of what Nix writes is the fast path's
    expect(taken).toBeGreaterThan(RUNS / 4);
  });

  it("mutated ATerm: the fast scanner declines or gives the grammar's value; every error is the grammar's; exact round trips", () => {
    fc.assert(
      fc.property(arbDerivation(), arbMutation, (drv, edits) => {
        const bytes = mutate(printDerivationATerm(drv), edits);
        const text = decodeUtf8OrUndefined(bytes);
        const scanned =
          text === undefined ? undefined : scanCanonicalDerivation(text, DEFAULT_STORE_DIR);
        const grammar = outcome(() => parseDerivationWithGrammar(bytes)) as {
          ok?: Derivation;
          message?: string;
        };
        if (scanned !== undefined) expect(scanned).toEqual(grammar.ok);
        // the public parser: the scanner's value or the grammar's outcome, error for error
        expect(outcome(() => parseDerivationATerm(bytes))).toEqual(grammar);
        if (grammar.ok !== undefined) {
          // whatever Nix 2.8 reads prints back as it was written
          expect(Buffer.from(printDerivationATerm(grammar.ok)).equals(Buffer.from(bytes))).toBe(
            true,
          );
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("the show-derivation fast path (ATerm → JSON transcoding) equals the model path", () => {
    let fast = 0;
    fc.assert(
      fc.property(
        arbDerivation({
          kinds: ["inputAddressed", "deferred", "floating", "fixed"],
          dynamicOutputs: false,
        }),
        fc.option(arbMutation, { freq: 3 }),
        (raw, edits) => {
          // mostly inputs the fast path takes: no raw control characters, nothing above U+D7FF
          const clean = (x: DrvString) =>
            typeof x === "string" ? x.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\uffff]/g, "") : x;
          const drv: Derivation = {
            ...raw,
            system:
              typeof raw.system === "string"
                ? raw.system.replace(/[\x00-\x1f\ud800-\uffff"\\]/g, "")
                : raw.system,
            builder: clean(raw.builder) as string,
            args: raw.args.map(clean),
            env: new Map(
              [...raw.env].map(([k, v]) => [
                k.replace(/[\x00-\x1f\ud800-\uffff"\\]/g, ""),
                clean(v),
              ]),
            ),
          };
          const printed = printDerivationATerm(drv);
          const bytes = edits === null ? printed : mutate(printed, edits);
          // the drv path names the derivation: fixed outputs' paths are computed from it
          const P = `/nix/store/00000000000000000000000000000000-${raw.env.get("name")}.drv`;
          const t = transcodeShowEntry(P, bytes);
          const b = transcodeShowEntryBinary(P, Buffer.from(bytes).toString("latin1"));
          if (t !== undefined) expect(b).toBe(Buffer.from(t, "utf8").toString("latin1"));
          if (b === undefined) return;
          fast++;
          expect(b).toBe(viaModel(P, bytes));
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(fast).toBeGreaterThan(RUNS / 4);
  });

  it("the binary fast path equals the model path with raw control characters and raw bytes", () => {
    let fast = 0;
    fc.assert(
      fc.property(
        arbDerivation({ kinds: ["inputAddressed", "deferred"], dynamicOutputs: false }),
        fc.array(fc.integer({ min: 0, max: 0x1f }), { maxLength: 6 }),
        fc.option(arbMutation, { freq: 4 }),
        (drv, controls, edits) => {
          // raw control characters spliced into the builder and the first value
          const spliced = (x: DrvString) =>
            typeof x === "string" ? x + String.fromCharCode(...controls) : x;
          const withControls: Derivation = {
            ...drv,
            builder: spliced(drv.builder) as string,
            args: drv.args.map(spliced),
          };
          let printed: Uint8Array;
          try {
            printed = printDerivationATerm(withControls);
          } catch {
            return;
          }
          const bytes = edits === null ? printed : mutate(printed, edits);
          const P = `/nix/store/00000000000000000000000000000000-${String(drv.env.get("name"))}.drv`;
          const b = transcodeShowEntryBinary(P, Buffer.from(bytes).toString("latin1"));
          if (b === undefined) return;
          let model: string;
          try {
            model = viaModel(P, bytes);
          } catch {
            throw new Error("the fast path took an input the model refuses");
          }
          fast++;
          expect(b).toBe(model);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(fast).toBeGreaterThan(RUNS / 8);
  });

  it("the fast path leaves a fixed output whose name no store path may hold to the model", () => {
    const aterm =
      'Derive([("out)","/nix/store/j1wy5gp5xsk24z5d5p41482pk7r38xj7-x","sha256",' +
      '"0000000000000000000000000000000000000000000000000000000000000000")],[],[],"s","b",[],' +
      '[("name","x")])';
    const P = "/nix/store/00000000000000000000000000000000-x.drv";
    expect(transcodeShowEntry(P, Buffer.from(aterm))).toBeUndefined();
  });

  it("arbitrary bytes: only library errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        outcome(() => parseDerivationATerm(bytes));
        outcome(() => parseDerivationWithGrammar(bytes));
        const withPrefix = Uint8Array.from([...Buffer.from("Derive(["), ...bytes]);
        outcome(() => parseDerivationATerm(withPrefix));
      }),
      { numRuns: RUNS },
    );
  });

  it("mutated JSON: problems are reported, never thrown", () => {
    fc.assert(
      fc.property(
        arbDerivation({ rawBytes: false }),
        fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.oneof(
              fc.constant(undefined),
              fc.constant(null),
              fc.integer(),
              fc.string(),
              fc.constant([]),
              fc.constant({}),
            ),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (drv, version, edits) => {
          const json = JSON.parse(JSON.stringify(derivationToJson(drv, { version }))) as Record<
            string,
            unknown
          >;
          // replace random nested values
          for (const [n, v] of edits) {
            const paths: [Record<string, unknown>, string][] = [];
            const walk = (o: unknown) => {
              if (o !== null && typeof o === "object") {
                for (const k of Object.keys(o)) {
                  paths.push([o as Record<string, unknown>, k]);
                  walk((o as Record<string, unknown>)[k]);
                }
              }
            };
            walk(json);
            if (paths.length === 0) continue;
            const [obj, key] = paths[n % paths.length]!;
            if (v === undefined) delete obj[key];
            else obj[key] = v;
          }
          const problems = derivationJsonProblems(json);
          for (const p of problems) expect(Array.isArray(p.path)).toBe(true);
          try {
            readDerivationJson(json);
          } catch (err) {
            if (!isNixCompatError(err)) throw err;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** Store paths only the quirky spellings below use (each printed exactly once). */
const Q = "/nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
const QUIRK_OUT = `${Q}-zzquirk`;
const QUIRK_SRC = `${Q}-zzquirk-src`;
const QUIRK_DRV = `${Q}-zzquirk.drv`;

/** Which quirky spellings to write (at least one), and the bytes after the final `)`. */
const arbQuirks = fc
  .record({
    env: fc.boolean(),
    escape: fc.boolean(),
    output: fc.boolean(),
    inputDrv: fc.boolean(),
    inputSrc: fc.boolean(),
    trailing: fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }), { freq: 2 }),
  })
  .filter((q) => q.env || q.escape || q.output || q.inputDrv || q.inputSrc || q.trailing !== null);

type Quirks = typeof arbQuirks extends fc.Arbitrary<infer T> ? T : never;

/**
 * `drv` with marker entries added (the value Nix reads), and a `.drv` spelling that value
 * with the chosen quirks: each marker entry is written as a duplicate (or with an unknown
 * escape) that Nix 2.8 reads as the marker entry itself.
 */
function quirkySpelling(drv: Derivation, q: Quirks): { value: Derivation; bytes: Uint8Array } {
  const value: Derivation = {
    ...drv,
    outputs: q.output
      ? new Map([...drv.outputs, ["zzquirk", { kind: "inputAddressed", path: QUIRK_OUT }]])
      : drv.outputs,
    inputDrvs: q.inputDrv
      ? new Map([...drv.inputDrvs, [QUIRK_DRV, { outputs: ["out"], dynamicOutputs: new Map() }]])
      : drv.inputDrvs,
    inputSrcs: q.inputSrc ? [...drv.inputSrcs, QUIRK_SRC] : drv.inputSrcs,
    env: new Map([
      ...drv.env,
      ...(q.env ? [["zzquirkdup", "last"] as const] : []),
      ...(q.escape ? [["zzquirkesc", "aqb"] as const] : []),
    ]),
  };
  let text = Buffer.from(printDerivationATerm(value)).toString("latin1");
  const swap = (from: string, to: string) => {
    expect(text.split(from).length, from).toBe(2);
    text = text.replace(from, to);
  };
  if (q.env) swap(`("zzquirkdup","last")`, `("zzquirkdup","first"),("zzquirkdup","last")`);
  if (q.escape) swap(`("zzquirkesc","aqb")`, `("zzquirkesc","a\\qb")`);
  if (q.output)
    swap(
      `("zzquirk","${QUIRK_OUT}","","")`,
      `("zzquirk","${QUIRK_OUT}","",""),("zzquirk","${Q}-zzother","","")`,
    );
  if (q.inputDrv) {
    // the last entry stays; output names twice only in `Derive` (DrvWithVersion refuses it)
    const names = text.startsWith("Derive(") ? `["out","out"]` : `["out"]`;
    swap(`("${QUIRK_DRV}",["out"])`, `("${QUIRK_DRV}",["dev"]),("${QUIRK_DRV}",${names})`);
  }
  if (q.inputSrc) swap(`"${QUIRK_SRC}"`, `"${QUIRK_SRC}","${QUIRK_SRC}"`);
  const bytes = Buffer.from(text, "latin1");
  return { value, bytes: q.trailing === null ? bytes : Buffer.concat([bytes, q.trailing]) };
}

describe("quirky .drv round trips", () => {
  it("a quirky spelling prints back exactly (both parsers); a changed value prints canonically", () => {
    fc.assert(
      fc.property(arbDerivation(), arbQuirks, (drv, q) => {
        const { value, bytes } = quirkySpelling(drv, q);
        const canonical = printDerivationATerm(value);
        const expected = parseDerivationATerm(canonical);
        expect(expected.quirks).toBeUndefined();
        for (const parse of [parseDerivationATerm, parseDerivationWithGrammar]) {
          const read = parse(bytes);
          expect(read.quirks?.length).toBeGreaterThan(0);
          // Nix reads the value the markers stand for
          expect({ ...read, quirks: undefined, spelling: undefined }).toEqual(expected);
          expect(Buffer.from(printDerivationATerm(read)).equals(bytes)).toBe(true);
          expect(Buffer.from(printDerivationATerm(read, { canonical: true }))).toEqual(
            Buffer.from(canonical),
          );
          // a value changed after parsing (even by a spread, which keeps the spelling) prints
          // canonically; an unchanged one (blanking deferred outputs) as the file
          const printsAs = (v: Derivation) => {
            const c = printDerivationATerm(v, { canonical: true });
            expect(Buffer.from(printDerivationATerm(v))).toEqual(
              Buffer.from(Buffer.from(c).equals(Buffer.from(canonical)) ? bytes : c),
            );
          };
          printsAs({ ...read, env: new Map([...read.env, ["zzadded", "1"]]) });
          printsAs({
            ...read,
            outputs: new Map([...read.outputs].map(([k]) => [k, { kind: "deferred" }])),
          });
          // the drv path is the text hash of the file's actual bytes
          expect(derivationPath(read, { name: "x" })).not.toBe(
            derivationPath(expected, { name: "x" }),
          );
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.NIX_COMPAT_SEED ?? 0xd7e4) },
    );
  });
});

describe("hasEscapeMatching", () => {
  it("finds exactly the escapes a lookbehind regex finds", () => {
    // the reference: an even run of backslashes (none before it), then a backslash and a
    // character that is not one of ATerm's escapes
    const reference = /(?<!\\)(?:\\\\)*\\[^\\"nrt]/;
    const jsonOnlyReference = /(?<!\\)(?:\\\\)*\\[/bfu]/;
    const body = fc
      .array(fc.constantFrom("\\", "\\", "\\", '"', "n", "t", "b", "u", "/", "x", "a"), {
        maxLength: 40,
      })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(body, (s) => {
        expect(hasEscapeMatching(s, /\\[^\\"nrt]/g)).toBe(reference.test(s));
        expect(hasEscapeMatching(s, /\\[/bfu]/g)).toBe(jsonOnlyReference.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});
