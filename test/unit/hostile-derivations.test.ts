/**
 * Issue 14, derivations: errors rebuilt with a file name keep their class (no crash), nesting
 * is limited with a typed error, chains of input derivations of any depth hash without
 * recursion, and cycles are refused. Every hostile input is built here.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MalformedInputError,
  NixCompatError,
  TruncatedInputError,
  ValidationError,
} from "../../src/core/errors.js";
import { UnknownHashAlgorithmError } from "../../src/core/hash-algorithm.js";
import { DaemonError } from "../../src/daemon/errors.js";
import {
  ATermTruncatedError,
  computeOutputPaths,
  computeOutputPathsSync,
  type Derivation,
  DerivationLimitError,
  derivationJsonProblems,
  type DrvHashCache,
  hashDerivationModulo,
  hashDerivationModuloSync,
  MAX_DYNAMIC_OUTPUT_DEPTH,
  parseDerivationATerm,
  parseDerivationWithGrammar,
  readDerivationJson,
} from "../../src/derivation/index.js";
import { NarInfoError } from "../../src/narinfo/narinfo-error.js";
import { NarRestoreError } from "../../src/node/nar-restore.js";
import { JsonValidationError } from "../../src/schemas/validate.js";
import { runCliInProcess } from "../support/cli-inprocess.js";
import { withTempDirAsync } from "../support/nix.js";

const enc = (s: string) => new TextEncoder().encode(s);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("withContext rebuilds every error class without calling its constructor", () => {
  const errors: NixCompatError[] = [
    new JsonValidationError([
      { path: ["outputs", "out"], message: "expected object", code: "invalid_type" },
    ]),
    new JsonValidationError([
      { path: ["outputs", "out", "path"], message: "a", code: "x" },
      { path: ["outputs", "dev"], message: "b", code: "y" },
    ]),
    new NarRestoreError(
      "/tmp/dest",
      3,
      new MalformedInputError("nar.x", "bad name", { offset: 128, rule: "nar.entry.name" }),
    ),
    new DaemonError({
      level: 0,
      name: "Error",
      message: "boom",
      traces: [],
      status: 1,
    } as never),
    new ATermTruncatedError(),
    new NarInfoError("narinfo.bad", "bad line", { line: 3 }),
    new UnknownHashAlgorithmError("sha3"),
  ];
  for (const err of errors) {
    it(`${err.constructor.name} (${err.code})`, () => {
      const copy = err.withContext({ file: "input.json" });
      expect(copy).toBeInstanceOf(err.constructor);
      expect(copy).toBeInstanceOf(Error);
      expect(copy.code).toBe(err.code);
      expect(copy.detail).toBe(err.detail);
      expect(copy.file).toBe("input.json");
      expect(copy.truncated).toBe(err.truncated);
      expect(copy.message.startsWith("input.json: ")).toBe(true);
      expect(copy.message.endsWith(err.detail)).toBe(true);
      for (const key of Object.keys(err)) {
        if (key !== "file" && key !== "message") {
          expect((copy as never)[key], key).toEqual((err as never)[key]);
        }
      }
      // the position is printed once
      const where = err.message.slice(0, err.message.length - err.detail.length);
      if (where !== "") expect(copy.message.split(where).length - 1).toBe(1);
    });
  }

  it("a JSON validation error names its path once ('$: $:' no more)", () => {
    const one = errors[0]!;
    expect(one.message).toBe("$.outputs.out: expected object");
    const two = errors[1]!.withContext({ file: "f.json" });
    expect(two.message).toBe(
      "f.json: $.outputs: 2 problems:\n  $.outputs.out.path: a\n  $.outputs.dev: b",
    );
    expect(two.position.path).toEqual(["outputs"]);
  });

  it("a NAR restore error does not repeat its cause's position", () => {
    const e = errors[2]!;
    expect(e.message.match(/byte 128/g)).toHaveLength(1);
  });

  it("keeps the classes apart", () => {
    expect(errors[0]!.withContext({ file: "x" })).toBeInstanceOf(ValidationError);
    expect(errors[4]!.withContext({ file: "x" })).toBeInstanceOf(TruncatedInputError);
  });
});

/** `DrvWithVersion` ATerm whose one input derivation nests dynamic outputs `depth` deep. */
function nestedDrv(depth: number): string {
  let set = '["out"]';
  for (let i = 0; i < depth; i++) set = `(["out"],[("o",${set})])`;
  return `DrvWithVersion("xp-dyn-drv",[("out","","","")],[("/nix/store/0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv",${set})],[],"x","b",[],[("name","x"),("out","")])`;
}

/** A v4 derivation JSON document whose one input nests `dynamicOutputs` `depth` deep. */
function nestedJson(depth: number): unknown {
  let set: unknown = { outputs: ["out"], dynamicOutputs: {} };
  for (let i = 0; i < depth; i++) set = { outputs: ["out"], dynamicOutputs: { o: set } };
  return {
    version: 4,
    derivations: {
      "0hm2f1psjpcwg8fijsmr4wwxrx59s092-x.drv": {
        name: "x",
        version: 4,
        outputs: { out: { method: "nar", hashAlgo: "sha256" } },
        inputs: { srcs: [], drvs: { "0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv": set } },
        system: "x",
        builder: "b",
        args: [],
        env: {},
      },
    },
  };
}

describe("nesting limits", () => {
  it("DrvWithVersion dynamic outputs 3,000 deep: a typed limit error at the same byte from the scanner and the grammar", () => {
    const bytes = enc(nestedDrv(3000));
    const a = thrown(() => parseDerivationATerm(bytes, { file: "deep.drv" }));
    const b = thrown(() => parseDerivationWithGrammar(bytes, { file: "deep.drv" }));
    for (const e of [a, b]) {
      expect(e).toBeInstanceOf(DerivationLimitError);
      expect((e as DerivationLimitError).code).toBe("derivation.dynamic-outputs-too-deep");
      expect((e as DerivationLimitError).file).toBe("deep.drv");
    }
    expect((a as NixCompatError).position.offset).toBe((b as NixCompatError).position.offset);
    // the limit itself is allowed, one more is not, and the limit can be lowered
    expect(() => parseDerivationATerm(enc(nestedDrv(MAX_DYNAMIC_OUTPUT_DEPTH)))).not.toThrow();
    expect(() =>
      parseDerivationWithGrammar(enc(nestedDrv(MAX_DYNAMIC_OUTPUT_DEPTH))),
    ).not.toThrow();
    expect(() => parseDerivationATerm(enc(nestedDrv(MAX_DYNAMIC_OUTPUT_DEPTH + 1)))).toThrow(
      DerivationLimitError,
    );
    expect(() => parseDerivationATerm(enc(nestedDrv(2)), { maxDynamicOutputDepth: 1 })).toThrow(
      DerivationLimitError,
    );
    expect(() =>
      parseDerivationWithGrammar(enc(nestedDrv(2)), { maxDynamicOutputDepth: 1 }),
    ).toThrow(DerivationLimitError);
  });

  it("JSON v4 dynamicOutputs 1,000 deep: a problem with its path in validate, a JsonValidationError when read", () => {
    const doc = nestedJson(1000);
    const problems = derivationJsonProblems(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe("derivation-json.dynamic-outputs-too-deep");
    expect(problems[0]!.path.slice(0, 4)).toEqual([
      "derivations",
      "0hm2f1psjpcwg8fijsmr4wwxrx59s092-x.drv",
      "inputs",
      "drvs",
    ]);
    const err = thrown(() => readDerivationJson(doc));
    expect(err).toBeInstanceOf(JsonValidationError);
    expect((err as Error).message.length).toBeLessThan(1000);
    expect(derivationJsonProblems(nestedJson(MAX_DYNAMIC_OUTPUT_DEPTH))).toEqual([]);
    expect(derivationJsonProblems(nestedJson(3), { maxDynamicOutputDepth: 2 })[0]!.code).toBe(
      "derivation-json.dynamic-outputs-too-deep",
    );
  });

  it("structured attributes nested 100,000 deep are refused, not overflowed", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const doc = nestedJson(0) as { derivations: Record<string, Record<string, unknown>> };
    doc.derivations["0hm2f1psjpcwg8fijsmr4wwxrx59s092-x.drv"]!.structuredAttrs = deep;
    expect(derivationJsonProblems(doc)[0]!.code).toBe("derivation-json.too-deep");
    expect(() => readDerivationJson(doc)).toThrow(JsonValidationError);
  });
});

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
/** A distinct drv path per index. */
function chainPath(i: number): string {
  let h = "";
  for (let k = 0, x = i; k < 32; k++, x = Math.floor(x / 32)) h += NIX32[x % 32];
  return `/nix/store/${h}-d${i}.drv`;
}

/** Derivation `i` of a chain of `n`, each depending on the next; the last on `tail` if given. */
function chainDrv(i: number, n: number, tail?: string): Derivation {
  const input = i + 1 < n ? chainPath(i + 1) : tail;
  return parseDerivationATerm(
    enc(
      `Derive([("out","","","")],[${input === undefined ? "" : `("${input}",["out"])`}],[],"x","b",[],[("name","d${i}"),("out","")])`,
    ),
  );
}

describe("input derivations: deep chains and cycles", () => {
  const N = 2000;
  const chain = new Map(Array.from({ length: N }, (_, i) => [chainPath(i), chainDrv(i, N)]));

  it("hashes a chain 2,000 deep (sync and async), as hashing it bottom-up with a pre-filled cache does", async () => {
    const lookup = (p: string) => chain.get(p)!;
    // reference: from the bottom up, each step finds its one input in the cache (depth 1)
    const cache: DrvHashCache = new Map();
    for (let i = N - 1; i >= 1; i--) {
      cache.set(chainPath(i), hashDerivationModuloSync(chain.get(chainPath(i))!, { cache }));
    }
    const top = chain.get(chainPath(0))!;
    const expected = hashDerivationModuloSync(top, { cache });
    expect(hashDerivationModuloSync(top, { lookup })).toEqual(expected);
    expect(await hashDerivationModulo(top, { lookup })).toEqual(expected);
    expect(await hashDerivationModulo(top, { lookup: async (p) => lookup(p) })).toEqual(expected);
    expect(computeOutputPathsSync(top, { lookup })).toEqual(
      await computeOutputPaths(top, { lookup: async (p) => lookup(p) }),
    );
  });

  it("refuses cyclic input derivations (sync, and async settles), also a derivation naming itself", async () => {
    const cyc = new Map(
      Array.from({ length: 5 }, (_, i) => [chainPath(i), chainDrv(i, 5, chainPath(0))]),
    );
    const lookup = (p: string) => cyc.get(p)!;
    const top = cyc.get(chainPath(0))!;
    const sync = thrown(() => hashDerivationModuloSync(top, { lookup }));
    expect((sync as NixCompatError).code).toBe("derivation.input-cycle");
    await expect(hashDerivationModulo(top, { lookup: async (p) => lookup(p) })).rejects.toThrow(
      /cycle/,
    );
    await expect(computeOutputPaths(top, { lookup: async (p) => lookup(p) })).rejects.toThrow(
      /cycle/,
    );
    const self = chainDrv(0, 1, chainPath(0));
    expect(() => hashDerivationModuloSync(self, { lookup: () => self })).toThrow(/cycle/);
  });

  it("hashes each input once: a lattice 500 layers deep with 2^500 paths to its bottom", async () => {
    // layer i has two derivations, each depending on both of layer i + 1
    const layers = 500;
    const at = (i: number, k: number) => chainPath(2 * i + k);
    const lattice = new Map<string, Derivation>();
    for (let i = 0; i < layers; i++) {
      for (const k of [0, 1]) {
        const inputs =
          i + 1 < layers ? `("${at(i + 1, 0)}",["out"]),("${at(i + 1, 1)}",["out"])` : "";
        lattice.set(
          at(i, k),
          parseDerivationATerm(
            enc(
              `Derive([("out","","","")],[${inputs}],[],"x","b",[],[("name","l${i}k${k}"),("out","")])`,
            ),
          ),
        );
      }
    }
    let lookups = 0;
    const lookup = (p: string) => {
      lookups++;
      return lattice.get(p)!;
    };
    const top = lattice.get(at(0, 0))!;
    const sync = hashDerivationModuloSync(top, { lookup });
    expect(lookups).toBe(2 * layers - 2);
    expect(await hashDerivationModulo(top, { lookup: async (p) => lookup(p) })).toEqual(sync);
  });

  it("CLI: hash-modulo and output-paths on sibling files 2,000 deep, and on files naming each other", async () => {
    await withTempDirAsync(async (dir) => {
      const write = (sub: string, n: number, cycle: boolean) => {
        mkdirSync(join(dir, sub));
        for (let i = 0; i < n; i++) {
          const input = i + 1 < n ? chainPath(i + 1) : cycle ? chainPath(0) : undefined;
          writeFileSync(
            join(dir, sub, chainPath(i).slice("/nix/store/".length)),
            `Derive([("out","","","")],[${input === undefined ? "" : `("${input}",["out"])`}],[],"x","b",[],[("name","d${i}"),("out","")])`,
          );
        }
        return join(dir, sub, chainPath(0).slice("/nix/store/".length));
      };
      const deep = write("chain", N, false);
      const cyclic = write("cycle", 3, true);
      for (const cmd of ["hash-modulo", "output-paths"]) {
        const ok = await runCliInProcess(["derivation", cmd, deep], { timeoutMs: 60_000 });
        expect(ok.stderr).toBe("");
        expect(ok.status).toBe(0);
        const bad = await runCliInProcess(["derivation", cmd, cyclic]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toMatch(/^error: .*input derivations form a cycle/);
      }
    });
  });
});
