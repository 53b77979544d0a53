import { execSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Derivation,
  derivationJsonProblems,
  derivationPath,
  parseDerivationATerm,
  parseDerivationJsonBytes,
  printDerivationATerm,
  printShowDerivationJson,
  readDerivationJson,
  readDerivationJsonBytes,
} from "../../src/derivation/index.js";
import { bytesToName } from "../../src/grammar/aterm-strings.js";
import { JsonValidationError } from "../../src/schemas/validate.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";
import { withTempDir } from "../support/nix.js";

const P = "/nix/store/00000000000000000000000000000000";
const raw = (...b: number[]) => Uint8Array.from(b);

/** A derivation with raw bytes in every free-text field, and an empty env name. */
const drv: Derivation = {
  outputs: new Map([["out", { kind: "inputAddressed", path: `${P}-a` }]]),
  inputDrvs: new Map(),
  inputSrcs: [],
  system: raw(0x73, 0x93, 0xff),
  builder: raw(0x2f, 0xe9),
  args: [raw(0xfe), "é"],
  // sorted by bytes, as parsed: "k\xff" before "name"
  env: new Map<string, string | Uint8Array>([
    ["", "empty"],
    [bytesToName(raw(0x6b, 0xff)), raw(0x76, 0x80)],
    ["name", "a"],
  ]),
};

describe("derivation JSON from bytes", () => {
  it("Nix 2.8's show JSON with raw bytes reads back to the same .drv bytes", () => {
    const aterm = printDerivationATerm(drv);
    const key = derivationPath(drv);
    const json = printShowDerivationJson([{ drvPath: key, drv }]);
    // the JSON holds the raw bytes, as Nix 2.8 writes them
    expect(Buffer.from(json).includes(Buffer.from([0x93, 0xff]))).toBe(true);
    const doc = readDerivationJsonBytes(json);
    const back = doc.entries[0]!.drv;
    expect(back.system).toEqual(drv.system);
    expect([...back.env.keys()]).toEqual([...drv.env.keys()]);
    expect(Buffer.from(printDerivationATerm(back)).equals(Buffer.from(aterm))).toBe(true);
    expect(parseDerivationATerm(aterm)).toEqual(drv);
    // the CLI: aterm, path and validate of that JSON keep every byte
    const a = runCli(["derivation", "aterm", "-"], { input: json });
    expect(a.stdout.equals(Buffer.from(aterm)), a.stderr).toBe(true);
    expect(runCli(["derivation", "path", "-"], { input: json }).stdoutText.trim()).toBe(key);
    const v = runCli(["derivation", "validate", "--no-check-outputs", "-"], { input: json });
    expect(v.status, v.stderr).toBe(0);
  });

  it("refuses lone surrogate escapes and fractional versions, with byte offsets", () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(() => parseDerivationJsonBytes(text('{"a":"\\udc93"}'))).toThrow(/lone surrogate/);
    expect(() => parseDerivationJsonBytes(text('{"a":"\\ud83d"}'))).toThrow(/lone surrogate/);
    expect(parseDerivationJsonBytes(text('{"a":"\\ud83d\\ude00","b":"\\\\udc93"}'))).toEqual({
      a: "😀",
      b: "\\udc93",
    });
    try {
      parseDerivationJsonBytes(text('{"version": 4.0000000000000001}'));
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("derivation-json.version-not-integer");
      expect((e as { position: { offset: number } }).position.offset).toBe(1);
    }
    // duplicate keys: the last wins, as nlohmann::json reads them
    expect(parseDerivationJsonBytes(text('{"a":1,"a":2}'))).toEqual({ a: 2 });
    // truncated input is told apart from malformed input
    try {
      parseDerivationJsonBytes(text('{"a":'));
      expect.unreachable();
    } catch (e) {
      expect((e as { truncated: boolean }).truncated).toBe(true);
    }
  });

  it("__proto__, constructor and prototype are data at every level", () => {
    const v1 = (o: { outputs?: string; drvs?: string; env?: string }) =>
      `{"outputs":{${o.outputs ?? `"out":{"path":"${P}-a"}`}},"inputSrcs":[],"inputDrvs":{${o.drvs ?? ""}},"system":"x","builder":"b","args":[],"env":{${o.env ?? ""}}}`;
    for (const k of ["__proto__", "constructor", "prototype"]) {
      // as an env name: read as data, printed, read back
      const env = JSON.parse(v1({ env: `"${k}":"v"` })) as unknown;
      expect(derivationJsonProblems(env)).toEqual([]);
      const d = readDerivationJson(env).entries[0]!.drv;
      expect(d.env.get(k)).toBe("v");
      expect(parseDerivationATerm(printDerivationATerm(d)).env.get(k)).toBe("v");
      // with an object value: refused at its path
      const bad = JSON.parse(v1({ env: `"${k}":{}` })) as unknown;
      expect(derivationJsonProblems(bad).map((p) => p.path)).toEqual([["env", k]]);
      expect(() => readDerivationJson(bad)).toThrow(JsonValidationError);
      // as an input derivation key: refused at its path, by every reader
      const drvKey = JSON.parse(v1({ drvs: `"${k}":["out"]` })) as unknown;
      expect(derivationJsonProblems(drvKey).map((p) => p.path)).toEqual([["inputDrvs", k]]);
      expect(() => readDerivationJson(drvKey)).toThrow(JsonValidationError);
      // as an output name: a valid output name, kept
      const out = JSON.parse(v1({ outputs: `"${k}":{"path":"${P}-a-x"}` })) as unknown;
      expect([...readDerivationJson(out).entries[0]!.drv.outputs.keys()]).toEqual([k]);
      // as the key of a keyed document, of a v4 document, of dynamic outputs
      expect(derivationJsonProblems(JSON.parse(`{"${k}": ${v1({})}}`))).not.toEqual([]);
      const v4 = JSON.parse(
        `{"version":4,"derivations":{"${k}":{"name":"a","version":4,"outputs":{},"inputs":{"srcs":[],"drvs":{}},"system":"x","builder":"b","args":[],"env":{}}}}`,
      ) as unknown;
      expect(derivationJsonProblems(v4).map((p) => p.path[1])).toContain(k);
      const dyn = JSON.parse(
        v1({
          drvs: `"${P}-i.drv":{"outputs":[],"dynamicOutputs":{"${k}":{"outputs":["out"],"dynamicOutputs":{}}}}`,
        }),
      ) as unknown;
      const dynDrv = readDerivationJson(dyn).entries[0]!.drv;
      expect([...dynDrv.inputDrvs.get(`${P}-i.drv`)!.dynamicOutputs.keys()]).toEqual([k]);
      expect(parseDerivationATerm(printDerivationATerm(dynDrv))).toEqual({ ...dynDrv });
      // inside structured attributes (v4): kept in __json
      const sa = JSON.parse(
        `{"name":"a","version":4,"outputs":{},"inputs":{"srcs":[],"drvs":{}},"system":"x","builder":"b","args":[],"env":{},"structuredAttrs":{"${k}":{"${k}":1}}}`,
      ) as unknown;
      const saDrv = readDerivationJson(sa).entries[0]!.drv;
      expect(saDrv.env.get("__json")).toBe(`{"${k}":{"${k}":1}}`);
    }
  });

  it("shape errors: every problem against the version meant, each path once", () => {
    const noOutputs = { inputSrcs: [], inputDrvs: {}, system: 1, builder: "b", args: [], env: {} };
    const problems = derivationJsonProblems(noOutputs);
    expect(problems.map((p) => [p.path.join("."), p.message])).toEqual([
      ["outputs", "required"],
      ["system", "Invalid input: expected string, received number"],
    ]);
    const array = derivationJsonProblems([1]);
    expect(array.map((p) => [p.path, p.message])).toEqual([
      [
        [],
        "expected a JSON object (a derivation, {drvPath: derivation}, or {version: 4, derivations}), found an array",
      ],
    ]);
    // the CLI takes a top-level array for JSON, not for an ATerm
    const cli = runCli(["derivation", "aterm", "-"], { input: "[1]" });
    expect(cli.status).toBe(1);
    expect(cli.stderr).not.toContain("Derive(");
    // one problem: its path once
    try {
      readDerivationJson({ ...noOutputs, system: "x" });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe("$.outputs: required");
    }
    // `inputs` says version 4: reported against it
    const v4 = derivationJsonProblems({ outputs: {}, inputs: { srcs: [], drvs: {} }, env: {} });
    expect(v4.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      "name: required",
      "version: required",
      "system: required",
      "builder: required",
      "args: required",
    ]);
    const unknown = derivationJsonProblems({ ...noOutputs, outputs: {}, version: 7 });
    expect(unknown.map((p) => p.path)).toEqual([["version"]]);
  });

  it("every derivation JSON file of Nix's own test data reads", () => {
    const files = execSync(
      "find fixtures/nix-upstream/libstore/derivation -name '*.json' -not -name 'output-*' -not -name '*buildTrace*' -not -path '*derivation-options*' -not -name '*-options.json'",
      { cwd: REPO_ROOT },
    )
      .toString()
      .trim()
      .split("\n");
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) {
      const doc = readDerivationJsonBytes(readFileSync(`${REPO_ROOT}/${f}`));
      expect(doc.entries.length, f).toBeGreaterThan(0);
    }
  });

  it("validate checks output paths, env variables and drv path keys as nix derivation add", () => {
    const ok = `${REPO_ROOT}/fixtures/derivation/ok`;
    const entry = JSON.parse(
      readFileSync(`${ok}/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv.json`, "utf8"),
    ) as Record<string, unknown>;
    const key = "/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv";
    const out = (entry.outputs as { out: { path: string } }).out.path;
    const wrong = out.replace(/-foo$/, "-fox");
    withTempDir((dir) => {
      const bar = "0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv";
      copyFileSync(`${ok}/${bar}`, join(dir, bar));
      const write = (name: string, doc: unknown) => {
        writeFileSync(join(dir, name), JSON.stringify(doc));
        return join(dir, name);
      };
      const good = runCli(["derivation", "validate", write("good.json", { [key]: entry })]);
      expect(good.status, good.stderr).toBe(0);
      const changed = write("changed.json", {
        [key]: { ...entry, outputs: { out: { path: wrong } } },
      });
      const r = runCli(["derivation", "validate", changed]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`.outputs.out.path: output 'out' has path '${wrong}', should be`);
      expect(r.stderr).toContain(`the derivation is keyed '${key}', but it hashes to`);
      const partial = runCli(["derivation", "validate", "--no-check-outputs", changed]);
      expect(partial.status, partial.stderr).toBe(0);
      // a wrong env variable; an input derivation not at hand is said so
      const env = write("env.json", { ...entry, env: { ...(entry.env as object), out: wrong } });
      expect(runCli(["derivation", "validate", env]).stderr).toContain(
        "$.env.out: environment variable 'out' should be",
      );
      rmSync(join(dir, bar));
      expect(runCli(["derivation", "validate", env]).stderr).toContain("cannot check output paths");
      // an empty environment name is valid
      const empty = write("empty.json", { ...entry, env: { ...(entry.env as object), "": "x" } });
      const e = runCli(["derivation", "validate", "--no-check-outputs", empty]);
      expect(e.status, e.stderr).toBe(0);
    });
  });
});
