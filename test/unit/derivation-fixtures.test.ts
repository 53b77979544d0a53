import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ATermSyntaxError,
  ATermTruncatedError,
  computeOutputPathsSync,
  type Derivation,
  DerivationFormatError,
  derivationName,
  derivationPath,
  derivationProblems,
  derivationStructuredAttrs,
  derivationToJson,
  drvHashHex,
  hashDerivationModulo,
  hashDerivationModuloSync,
  parseDerivationATerm,
  parseDerivationWithGrammar,
  printDerivationATerm,
  printShowDerivationJson,
  readDerivationJson,
  showDerivationJsonChunks,
} from "../../src/derivation/index.js";
import { fixturePath } from "../support/fixtures.js";

const RUST = () => fixturePath("derivation");
const okFiles = () => readdirSync(join(RUST(), "ok")).filter((f) => f.endsWith(".drv"));

function readDrv(path: string): Derivation {
  return parseDerivationATerm(readFileSync(path));
}

function blank(drv: Derivation): Derivation {
  const outputs = new Map(drv.outputs);
  const env = new Map(drv.env);
  for (const [k, o] of drv.outputs) {
    if (o.kind === "inputAddressed") {
      outputs.set(k, { kind: "deferred" });
      env.set(k, "");
    }
  }
  return { ...drv, outputs, env };
}

describe("Rust nix-compat derivation fixtures", () => {
  it("parse and print give back the same bytes; both parsers agree", () => {
    for (const f of okFiles()) {
      const bytes = readFileSync(join(RUST(), "ok", f));
      const drv = parseDerivationATerm(bytes);
      expect(parseDerivationWithGrammar(bytes)).toEqual(drv);
      expect(Buffer.from(printDerivationATerm(drv)).equals(bytes), f).toBe(true);
    }
  });

  it("the drv path computed from each fixture is its file name", () => {
    for (const f of okFiles()) {
      expect(derivationPath(readDrv(join(RUST(), "ok", f)))).toBe(`/nix/store/${f}`);
    }
  });

  it("keeps latin1 and cp1252 bytes as raw bytes", () => {
    for (const f of okFiles().filter((f) => /latin1|cp1252/.test(f))) {
      const drv = readDrv(join(RUST(), "ok", f));
      const chars = drv.env.get("chars");
      expect(chars).toBeInstanceOf(Uint8Array);
      expect([...(chars as Uint8Array)]).toEqual([0xc5, 0xc4, 0xd6]);
      // the .json beside it is Nix 2.8's show-derivation output, raw bytes included
      const json = readFileSync(join(RUST(), "ok", `${f}.json`));
      const ours = printShowDerivationJson([{ drvPath: `/nix/store/${f}`, drv }]);
      expect(Buffer.from(ours).toString("latin1").trim()).toBe(json.toString("latin1").trim());
    }
  });

  it("JSON beside each fixture equals ours (v1) and converts back to the same ATerm", () => {
    for (const f of okFiles().filter((f) => !/latin1|cp1252/.test(f))) {
      const drv = readDrv(join(RUST(), "ok", f));
      const json = JSON.parse(readFileSync(join(RUST(), "ok", `${f}.json`), "utf8"));
      expect(derivationToJson(drv)).toEqual(json);
      const back = readDerivationJson(json).entries[0]!.drv;
      expect(
        Buffer.from(printDerivationATerm(back)).equals(readFileSync(join(RUST(), "ok", f))),
      ).toBe(true);
    }
  });

  it("show-derivation output is the same bytes in small chunks as in one piece", () => {
    const entries = okFiles().map((f) => ({
      drvPath: `/nix/store/${f}`,
      drv: readDrv(join(RUST(), "ok", f)),
    }));
    const whole = Buffer.from(printShowDerivationJson(entries));
    const byPath = new Map(entries.map((e) => [e.drvPath, e.drv]));
    for (const chunkSize of [1, 100, 4096]) {
      const chunks = [
        ...showDerivationJsonChunks(byPath.keys(), (k) => byPath.get(k)!, { chunkSize }),
      ];
      expect(Buffer.concat(chunks).equals(whole), String(chunkSize)).toBe(true);
    }
  });

  it("structured attributes: the name comes from __json", () => {
    const drv = readDrv(
      join(RUST(), "ok", "9lj1lkjm2ag622mh4h9rpy6j607an8g2-structured-attrs.drv"),
    );
    expect(derivationStructuredAttrs(drv)).toEqual({
      builder: ":",
      name: "structured-attrs",
      system: ":",
    });
    expect(derivationName(drv)).toBe("structured-attrs");
  });

  it("hash modulo of the fixed-output bar derivations", () => {
    const bar1 = readDrv(join(RUST(), "ok", "0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv"));
    const bar2 = readDrv(join(RUST(), "ok", "ss2p4wmxijn652haqyd7dckxwl4c7hxx-bar.drv"));
    expect(drvHashHex(hashDerivationModuloSync(bar1))).toBe(
      "724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33",
    );
    expect(drvHashHex(hashDerivationModuloSync(bar2))).toBe(
      "c79aebd0ce3269393d4a1fde2cbd1d975d879b40f0bf40a48f550edc107fd5df",
    );
  });

  it("blanking the outputs and recomputing gives back every fixture", async () => {
    const lookup = (p: string) => readDrv(join(RUST(), "ok", basename(p)));
    for (const f of okFiles()) {
      const drv = readDrv(join(RUST(), "ok", f));
      const paths = computeOutputPathsSync(blank(drv), { lookup });
      for (const [k, o] of drv.outputs) {
        const expected = o.kind === "inputAddressed" || o.kind === "caFixed" ? o.path : undefined;
        expect(paths.get(k), `${f} ${k}`).toBe(expected);
      }
      // async variant with a shared cache
      const cache = new Map();
      const h1 = await hashDerivationModulo(drv, { lookup: async (p) => lookup(p), cache });
      expect(drvHashHex(h1)).toBe(drvHashHex(hashDerivationModuloSync(drv, { lookup })));
    }
  });

  it("reads duplicate.drv and trailing bytes as Nix 2.8 does; strict mode rejects them", () => {
    const dup = readFileSync(join(RUST(), "duplicate.drv"));
    // Nix 2.8 keeps the last value of a duplicate environment variable
    const lenient = parseDerivationATerm(dup);
    expect(lenient.env.get("name")).toBe("bar");
    expect(lenient.quirks).toEqual([
      {
        code: "derivation.duplicate-env",
        detail: "duplicate environment variable 'name'",
        offset: dup.indexOf('("name","bar")'.slice(1)),
      },
    ]);
    expect(parseDerivationWithGrammar(dup)).toEqual(lenient);
    const strict = { strict: true };
    expect(() => parseDerivationATerm(dup, strict)).toThrow(DerivationFormatError);
    expect(() => parseDerivationWithGrammar(dup, strict)).toThrow(DerivationFormatError);
    try {
      parseDerivationATerm(dup, strict);
    } catch (e) {
      expect((e as DerivationFormatError).code).toBe("derivation.duplicate-env");
      expect((e as DerivationFormatError).position.offset).toBe(
        dup.indexOf('("name","bar")'.slice(1)),
      );
    }
    for (const f of okFiles()) {
      const bytes = readFileSync(join(RUST(), "ok", f));
      const extra = Buffer.concat([bytes, Buffer.from("x")]);
      expect(() => parseDerivationATerm(extra, strict)).toThrow(ATermSyntaxError);
      expect(parseDerivationATerm(extra).quirks?.[0]?.code).toBe("aterm.trailing-bytes");
      expect(() => parseDerivationATerm(bytes.subarray(0, bytes.length - 1))).toThrow(
        ATermTruncatedError,
      );
    }
  });
});

const UP = () => fixturePath("nix-upstream", "libstore", "derivation");

describe("Nix's own derivation golden files", () => {
  it("ATerm ↔ JSON v4 pairs", () => {
    for (const n of ["simple-derivation", "dyn-dep-derivation"]) {
      const bytes = readFileSync(join(UP(), `${n}.drv`));
      const json = JSON.parse(readFileSync(join(UP(), `${n}.json`), "utf8"));
      const drv = parseDerivationATerm(bytes);
      expect(derivationToJson(drv, { version: 4, name: n })).toEqual(json);
      const back = readDerivationJson(json).entries[0]!.drv;
      expect(Buffer.from(printDerivationATerm(back)).equals(bytes), n).toBe(true);
      expect(parseDerivationWithGrammar(bytes)).toEqual(drv);
    }
  });

  it("hash-modulo cases: masked ATerm with hashed inputs, and the hashes chain", async () => {
    const dir = join(UP(), "hash-modulo");
    const byPath = new Map<string, Derivation>();
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const json = JSON.parse(readFileSync(join(dir, f), "utf8"));
      const drv = readDerivationJson(json).entries[0]!.drv;
      const atermBytes = readFileSync(join(dir, f.replace(/\.json$/, ".drv")));
      expect(Buffer.from(printDerivationATerm(drv)).equals(atermBytes), f).toBe(true);
      byPath.set(derivationPath(drv), drv);
    }
    const lookup = (p: string) => {
      const d = byPath.get(p);
      if (d === undefined) throw new Error(`no ${p}`);
      return d;
    };
    for (const f of readdirSync(dir).filter((f) => f.endsWith("-modulo.drv"))) {
      const drv = readDrv(join(dir, f.replace("-modulo", "")));
      const expected = readFileSync(join(dir, f));
      const h = await hashDerivationModulo(drv, { lookup, maskOutputs: true });
      const { createHash } = await import("node:crypto");
      expect(drvHashHex(h), f).toBe(createHash("sha256").update(expected).digest("hex"));
    }
  });

  // Nix 2.8 has no dynamic derivations; what Nix 2.18-2.3x does (derivations.cc):
  // `hashDerivationModulo` keeps only each input's static output names (`node.value`) under the
  // input's hex hash, so an input wanted only for dynamic outputs disappears, and
  // `Derivation::unparse` picks `DrvWithVersion` from the derivation's own `inputDrvs`.
  it("hash modulo of dyn-dep-derivation.drv: dynamic outputs dropped, DrvWithVersion kept", async () => {
    const bytes = readFileSync(join(UP(), "dyn-dep-derivation.drv"));
    const parsed = parseDerivationATerm(bytes);
    const drv: Derivation = {
      ...parsed,
      outputs: new Map([["out", { kind: "deferred" }]]),
      env: new Map([...parsed.env, ["out", ""]]),
    };
    const dep2 = "/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-dep2.drv";
    const onlyDyn = "/nix/store/00000000000000000000000000000000-only-dyn.drv";
    const input = (name: string): Derivation => ({
      outputs: new Map(
        ["cat", "dog", "goose"].map((o) => [
          o,
          {
            kind: "inputAddressed",
            path: `/nix/store/11111111111111111111111111111111-${name}-${o}`,
          },
        ]),
      ),
      inputDrvs: new Map(),
      inputSrcs: [],
      system: "wasm-sel4",
      builder: "foo",
      args: [],
      env: new Map([["name", name]]),
    });
    const lookup = (p: string) => input(p === dep2 ? "dep2" : "only-dyn");
    const inputDrvs = new Map(drv.inputDrvs);
    inputDrvs.set(onlyDyn, {
      outputs: [],
      dynamicOutputs: new Map([["goose", { outputs: ["gosling"], dynamicOutputs: new Map() }]]),
    });
    const withOnlyDyn: Derivation = { ...drv, inputDrvs };
    const dep2Hex = drvHashHex(hashDerivationModuloSync(input("dep2")));
    const expected =
      `DrvWithVersion("xp-dyn-drv",[("out","","","")],[("${dep2Hex}",["cat","dog"])],` +
      `["/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-dep1"],"wasm-sel4","foo",["bar","baz"],` +
      `[("BIG_BAD","WOLF"),("out","")])`;
    const { createHash } = await import("node:crypto");
    const want = createHash("sha256").update(expected).digest("hex");
    for (const d of [drv, withOnlyDyn]) {
      const h = await hashDerivationModulo(d, { lookup, maskOutputs: true, name: "dyn" });
      expect(drvHashHex(h)).toBe(want);
      expect(
        drvHashHex(hashDerivationModuloSync(d, { lookup, maskOutputs: true, name: "dyn" })),
      ).toBe(want);
    }
  });

  // Shapes from Nix's source history: v2 (Nix 2.23-2.31, NixOS/nix#10722) has no "version"
  // field, has "name" and {dynamicOutputs, outputs} inputs; v3 (Nix 2.32, NixOS/nix#13980)
  // prints fixed outputs without "path".
  it("JSON v2 and v3 shapes of a fixed-output and an input-addressed derivation", () => {
    const dir = join(UP(), "hash-modulo");
    const fixed = readDrv(join(dir, "source-first.drv"));
    const v2 = derivationToJson(fixed, { version: 2, name: "source" });
    expect(Object.keys(v2)).toEqual([
      "args",
      "builder",
      "env",
      "inputDrvs",
      "inputSrcs",
      "name",
      "outputs",
      "system",
    ]);
    expect(v2.outputs).toEqual({
      out: {
        hash: "894517c9163c896ec31a2adbd33c0681fd5f45b2c0ef08a64c92a03fb97f390f",
        hashAlgo: "sha256",
        method: "nar",
        path: "/nix/store/i00sflxqsj37lfmf95m8mn0grv615hpj-source",
      },
    });
    const v3 = derivationToJson(fixed, { version: 3, name: "source" });
    expect(v3.version).toBe(3);
    expect(v3.outputs).toEqual({
      out: {
        hash: "894517c9163c896ec31a2adbd33c0681fd5f45b2c0ef08a64c92a03fb97f390f",
        hashAlgo: "sha256",
        method: "nar",
      },
    });
    const parent = readDrv(join(dir, "parent-joined.drv"));
    for (const version of [2, 3] as const) {
      const j = derivationToJson(parent, { version, name: "parent" });
      const key =
        version === 2
          ? "/nix/store/kp6i4n4bb3hlniwqjakhlf046qpdc0gl-intermediate.drv"
          : "kp6i4n4bb3hlniwqjakhlf046qpdc0gl-intermediate.drv";
      expect(j.inputDrvs).toEqual({ [key]: { dynamicOutputs: {}, outputs: ["dev", "out"] } });
      expect(readDerivationJson(j).entries[0]!.drv).toEqual({ ...parent, name: "parent" });
    }
    // the path comes back computed from name, method and hash
    const back = readDerivationJson(v3).entries[0]!.drv;
    expect(
      Buffer.from(printDerivationATerm(back)).equals(readFileSync(join(dir, "source-first.drv"))),
    ).toBe(true);
  });

  it("firefox.drv and hello.drv parse, print and re-parse to the same model", () => {
    for (const f of ["firefox.drv", "hello.drv"]) {
      const drv = readDrv(join(UP(), f));
      const again = parseDerivationATerm(printDerivationATerm(drv));
      expect(again).toEqual(drv);
      expect(parseDerivationWithGrammar(readFileSync(join(UP(), f)))).toEqual(drv);
    }
  });

  it("rejects the bad-*.drv files", () => {
    expect(() => readDrv(join(UP(), "bad-version.drv"))).toThrow(DerivationFormatError);
    expect(() => readDrv(join(UP(), "bad-old-version-dyn-deps.drv"))).toThrow(
      DerivationFormatError,
    );
    const fixedBad = readDrv(join(UP(), "bad-ca-fixed-path.drv"));
    const problems = derivationProblems(fixedBad, { name: "fixed" });
    expect(problems.map((p) => p.code)).toContain("derivation.fixed-output-path");
  });

  it("v4 JSON of the ca/ and ia/ fixtures reads and converts back", () => {
    for (const sub of ["ca", "ia"]) {
      for (const f of readdirSync(join(UP(), sub)).filter((f) => f.endsWith(".json"))) {
        const json = JSON.parse(readFileSync(join(UP(), sub, f), "utf8"));
        const drv = readDerivationJson(json).entries[0]!.drv;
        expect(derivationToJson(drv, { version: 4 }), `${sub}/${f}`).toEqual(json);
      }
    }
  });
});
