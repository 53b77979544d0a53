import { expect, it } from "vitest";
import {
  ATermSyntaxError,
  ATermTruncatedError,
  DerivationFormatError,
  parseDerivationATerm,
  parseDerivationWithGrammar,
  printDerivationATerm,
  printDerivationATermString,
} from "../../src/derivation/index.js";
import { bytesToName, nameToBytes } from "../../src/grammar/aterm-strings.js";
import { parseATerm, printATerm } from "../../src/grammar/aterm.js";

const P = "/nix/store/00000000000000000000000000000000";
const drv = (env: string, extra = "") =>
  Buffer.from(`Derive([("out","${P}-a","","")],[],[${extra}],"x","/bin/sh",[],[${env}])`, "latin1");

/** These tests are about errors: what Nix 2.8 reads leniently is refused too. */
const STRICT = { strict: true };

function error(bytes: Uint8Array): { cls: string; code: string; offset: number | undefined } {
  for (const parse of [parseDerivationATerm, parseDerivationWithGrammar]) {
    try {
      parse(bytes, STRICT);
    } catch (e) {
      const err = e as ATermSyntaxError;
      return { cls: err.constructor.name, code: err.code, offset: err.position.offset };
    }
  }
  throw new Error("accepted");
}

function bothErrors(bytes: Uint8Array) {
  const errs = [parseDerivationATerm, parseDerivationWithGrammar].map((parse) => {
    try {
      parse(bytes, STRICT);
      return undefined;
    } catch (e) {
      const err = e as ATermSyntaxError;
      return { cls: err.constructor.name, code: err.code, offset: err.position.offset };
    }
  });
  expect(errs[0]).toEqual(errs[1]);
  return errs[0]!;
}

it("errors carry codes and byte offsets; both parsers agree", () => {
  const base = drv('("k","v")');
  expect(bothErrors(drv('("k","a\\qb")'))).toEqual({
    cls: "ATermSyntaxError",
    code: "aterm.bad-escape",
    offset: base.indexOf('"v"') + 2,
  });
  expect(bothErrors(Buffer.concat([base, Buffer.from(" ")]))).toMatchObject({
    code: "aterm.trailing-bytes",
    offset: base.length,
  });
  expect(bothErrors(base.subarray(0, 20))).toMatchObject({
    cls: "ATermTruncatedError",
    code: "aterm.truncated",
  });
  expect(bothErrors(drv('("k","v"),("k","w")'))).toMatchObject({
    code: "derivation.duplicate-env",
    offset: base.indexOf('("k"') + 11,
  });
  expect(bothErrors(drv('("k","v")', `"${P}-s","${P}-s"`))).toMatchObject({
    code: "derivation.duplicate-input-src",
  });
  expect(bothErrors(drv('("k","v")', '"/tmp/x"'))).toMatchObject({
    code: "derivation.invalid-store-path",
  });
  // an output name that is not UTF-8: text is required there (store path names are ASCII)
  expect(
    error(
      Buffer.concat([
        Buffer.from(`Derive([("`),
        Buffer.from([0xff]),
        Buffer.from(`","${P}-a","","")],[],[],"x","/bin/sh",[],[])`),
      ]),
    ),
  ).toMatchObject({
    cls: "ATermSyntaxError",
    code: "aterm.invalid-utf8",
  });
  expect(() => parseDerivationATerm(Buffer.from("Derive"))).toThrow(ATermTruncatedError);
  expect(() => parseDerivationATerm(Buffer.from("Derivx("))).toThrow(ATermSyntaxError);
  expect(() => parseDerivationATerm(drv('("k","v")').subarray(0, 5))).toThrow(ATermTruncatedError);
  expect(() =>
    parseDerivationATerm(
      Buffer.from(`Derive([("out","${P}-a","sha257","00")],[],[],"x","b",[],[])`),
    ),
  ).toThrow(DerivationFormatError);
});

it("raw bytes stay bytes; text stays text; offsets count bytes", () => {
  const bytes = Buffer.concat([
    Buffer.from(`Derive([("out","${P}-a","","")],[],[],"x","b",["é"],[("k","`),
    Buffer.from([0xc5, 0xc4, 0xd6]),
    Buffer.from('")])'),
  ]);
  const d = parseDerivationATerm(bytes);
  expect(d.args).toEqual(["é"]);
  expect(d.env.get("k")).toEqual(Uint8Array.from([0xc5, 0xc4, 0xd6]));
  expect(Buffer.from(printDerivationATerm(d)).equals(bytes)).toBe(true);
  // a bad escape after a multi-byte character: the offset is in bytes, not characters
  const withUnicode = Buffer.from(`Derive([("out","${P}-a","","")],[],[],"x","b",["é\\q"],[])`);
  expect(bothErrors(withUnicode)).toMatchObject({
    code: "aterm.bad-escape",
    offset: withUnicode.indexOf("\\q"),
  });
});

it("reads what Nix 2.8 reads: unknown escapes, duplicates, trailing bytes, with quirks", () => {
  const both = (bytes: Uint8Array) => {
    const d = parseDerivationATerm(bytes);
    expect(parseDerivationWithGrammar(bytes)).toEqual(d);
    return d;
  };
  // `\x` is `x`, as Nix's parseString reads it; offsets in bytes
  const esc = Buffer.from(`Derive([("out","${P}-a","","")],[],[],"x","b\\x\\0",["é\\u"],[])`);
  const d = both(esc);
  expect(d.builder).toBe("bx0");
  expect(d.args).toEqual(["éu"]);
  expect(d.quirks?.map((q) => [q.code, q.offset])).toEqual([
    ["aterm.bad-escape", esc.indexOf("\\x")],
    ["aterm.bad-escape", esc.indexOf("\\0")],
    ["aterm.bad-escape", esc.indexOf("\\u")],
  ]);
  // duplicates: the last env value, the last input derivation, the first output, sets
  const I = `${P}-i.drv`;
  const dup = Buffer.from(
    `Derive([("out","${P}-a","",""),("out","${P}-b","","")],[("${I}",["out","out"]),("${I}",["dev"])],["${P}-s","${P}-s"],"x","b",[],[("k","1"),("k","2")])tail`,
  );
  const m = both(dup);
  expect([...m.outputs.values()]).toEqual([{ kind: "inputAddressed", path: `${P}-a` }]);
  expect(m.inputDrvs.get(I)?.outputs).toEqual(["dev"]);
  expect(m.inputSrcs).toEqual([`${P}-s`]);
  expect(m.env.get("k")).toBe("2");
  expect(m.quirks?.map((q) => q.code)).toEqual([
    "derivation.duplicate-output",
    "derivation.duplicate-input-drv-output",
    "derivation.duplicate-input-drv",
    "derivation.duplicate-input-src",
    "derivation.duplicate-env",
    "aterm.trailing-bytes",
  ]);
  // printing gives the file back; the canonical file reads back without quirks
  for (const [bytes, value] of [
    [esc, d],
    [dup, m],
  ] as const) {
    expect(Buffer.from(printDerivationATerm(value)).equals(bytes)).toBe(true);
    expect(printDerivationATermString(value)).toBe(bytes.toString("utf8"));
    const canonical = printDerivationATerm(value, { canonical: true });
    expect(both(canonical).quirks).toBeUndefined();
    expect(both(canonical)).toEqual({ ...value, quirks: undefined, spelling: undefined });
    // a changed value prints canonically
    const changed = { ...value, env: new Map([...value.env, ["added", "1"]]) };
    expect(Buffer.from(printDerivationATerm(changed)).toString("utf8")).toBe(
      Buffer.from(printDerivationATerm(changed, { canonical: true })).toString("utf8"),
    );
    expect(printDerivationATermString(changed)).toContain('("added","1")');
  }
  // trailing bytes that are not UTF-8: exact as bytes, not as a string
  const raw = Buffer.concat([drv('("k","v")'), Buffer.from([0xff])]);
  const r = both(raw);
  expect(Buffer.from(printDerivationATerm(r)).equals(raw)).toBe(true);
  expect(() => printDerivationATermString(r)).toThrow(/not UTF-8/);
  expect(both(drv('("k","v")')).quirks).toBeUndefined();
});

it("non-UTF-8 builder, system and environment names stay bytes", () => {
  const bytes = Buffer.concat([
    Buffer.from(
      `Derive([("out","${P}-a","","")],[],[],"s\x93\xff","/bin/\x93\xff",[],[("","e"),("a\xc3\xa9","2"),("a\xe9","1"),("z","3")])`,
      "latin1",
    ),
  ]);
  const d = parseDerivationATerm(bytes);
  expect(parseDerivationWithGrammar(bytes)).toEqual(d);
  expect(d.system).toEqual(Uint8Array.from([0x73, 0x93, 0xff]));
  expect(d.builder).toEqual(Uint8Array.from(Buffer.from("/bin/\x93\xff", "latin1")));
  // names in byte order: "" < "a\xc3\xa9" (é) < "a\xe9" < "z"
  expect([...d.env.keys()]).toEqual(["", "aé", "a\udce9", "z"]);
  expect(nameToBytes("a\udce9")).toEqual(Uint8Array.from([0x61, 0xe9]));
  expect(bytesToName(Uint8Array.from([0x61, 0xe9]))).toBe("a\udce9");
  expect(Buffer.from(printDerivationATerm(d)).equals(bytes)).toBe(true);
  // the same derivation built by hand, in any order, prints the same bytes
  const byHand = { ...d, env: new Map([...d.env].reverse()) };
  expect(Buffer.from(printDerivationATerm(byHand)).equals(bytes)).toBe(true);
  // a name with raw bytes alone is enough to print as bytes
  const onlyName = { ...d, system: "x", builder: "b" };
  const printed = printDerivationATerm(onlyName);
  expect(parseDerivationATerm(printed)).toEqual(onlyName);
});

it("the general ATerm grammar reads any term and prints it back", () => {
  const text = 'Foo([("a\\n\\"b",[]),Bar()],"x")';
  const t = parseATerm(Buffer.from(text));
  expect(t.type).toBe("appl");
  expect(Buffer.from(printATerm(t)).toString()).toBe(text);
});

it("long escape-heavy values round-trip (native unescape path)", () => {
  const value = 'line "one"\n\tback\\slash\\\\n \r'.repeat(500);
  const esc = value.replace(
    /[\\"\n\r\t]/g,
    (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!,
  );
  const bytes = drv(`("k","${esc}")`);
  const d = parseDerivationATerm(bytes);
  expect(d.env.get("k")).toBe(value);
  expect(parseDerivationWithGrammar(bytes)).toEqual(d);
  expect(Buffer.from(printDerivationATerm(d)).equals(bytes)).toBe(true);
  expect(bothErrors(drv(`("k","${esc}\\u0041")`))).toMatchObject({ code: "aterm.bad-escape" });
});

it("Nix 2.8 JSON strings: \\u00xx for controls other than \\n \\r \\t, raw above", async () => {
  const { nix28JsonString } = await import("../../src/derivation/show.js");
  expect(nix28JsonString('a\b\f\u0001\u007f\n"\\é')).toBe(
    '"a\\u0008\\u000c\\u0001\u007f\\n\\"\\\\é"',
  );
  expect(nix28JsonString('plain "quoted"\n')).toBe('"plain \\"quoted\\"\\n"');
});

it("spellings Nix reads without a quirk print back exactly too (entries out of order, escapes)", () => {
  const H = "0000000000000000000000000000000000000000000000000000000000000000";
  const N32 = "0000000000000000000000000000000000000000000000000000"; // the same digest in nix32
  const cases = [
    // entries out of order
    drv('("b","1"),("a","2")'),
    drv("", `"${P}-t","${P}-s"`),
    // a raw newline and tab where Nix writes `\n` `\t`
    drv('("k","a\nb\tc")'),
    // `system` escaped where Nix writes it raw
    Buffer.from(`Derive([("out","${P}-a","","")],[],[],"x\\n","b",[],[])`),
    // a fixed output's digest in nix32 (Nix writes base16)
    Buffer.from(`Derive([("out","${P}-a","r:sha256","${N32}")],[],[],"x","b",[],[])`),
    // DrvWithVersion without dynamic outputs (Nix writes Derive)
    Buffer.from(`DrvWithVersion("xp-dyn-drv",[("out","${P}-a","","")],[],[],"x","b",[],[])`),
  ];
  for (const bytes of cases) {
    const why = bytes.toString("latin1");
    const d = parseDerivationATerm(bytes);
    expect(parseDerivationWithGrammar(bytes), why).toEqual(d);
    expect(d.quirks, why).toBeUndefined();
    expect(d.spelling, why).toBeDefined();
    expect(Buffer.from(printDerivationATerm(d)).equals(bytes), why).toBe(true);
    const canonical = printDerivationATerm(d, { canonical: true });
    expect(Buffer.from(canonical).equals(bytes), why).toBe(false);
    expect(parseDerivationATerm(canonical).spelling, why).toBeUndefined();
  }
  const fixed = parseDerivationATerm(cases[4]!);
  expect(Buffer.from(printDerivationATerm(fixed, { canonical: true })).toString()).toContain(H);
  // the canonical spellings of `system` (raw, `"` and `\` escaped) record nothing
  const sys = Buffer.from(`Derive([("out","${P}-a","","")],[],[],"x\\"\\\\\n","b",[],[])`);
  expect(parseDerivationATerm(sys).spelling).toBeUndefined();
  expect(parseDerivationWithGrammar(sys).spelling).toBeUndefined();
});
