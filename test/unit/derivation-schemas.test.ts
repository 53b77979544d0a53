import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  derivationJsonProblems,
  detectDerivationJson,
  readDerivationJson,
} from "../../src/derivation/index.js";
import { derivationJsonSchema } from "../../src/schemas/derivation-json-schema.js";
import { derivationOutputV4Schema, derivationV4Schema } from "../../src/schemas/derivation-v4.js";
import { JsonValidationError } from "../../src/schemas/validate.js";
import { upstreamValidator } from "../support/json-schema.js";
import { fixturePath } from "../support/fixtures.js";

const UP = () => fixturePath("nix-upstream", "libstore", "derivation");

/** Every full derivation (v4) among Nix's golden files. */
function upstreamDerivations(): { file: string; json: Record<string, unknown> }[] {
  const out: { file: string; json: Record<string, unknown> }[] = [];
  for (const dir of ["", "ca", "ia", "hash-modulo", "invariants", "try-resolve"]) {
    for (const f of readdirSync(join(UP(), dir)).filter((f) => f.endsWith(".json"))) {
      const json = JSON.parse(readFileSync(join(UP(), dir, f), "utf8"));
      if (
        json?.version === 4 &&
        json.inputs !== null &&
        typeof json.inputs === "object" &&
        !Array.isArray(json.inputs)
      ) {
        out.push({ file: join(dir, f), json });
      }
    }
  }
  return out;
}

function mutations(json: Record<string, unknown>): Record<string, unknown>[] {
  const clone = () => JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
  const a = clone();
  delete a.name;
  const b = clone();
  b.extra = 1;
  const c = clone();
  c.version = 3;
  const d = clone();
  (d.inputs as { srcs: unknown[] }).srcs.push("not-a-store-path");
  const e = clone();
  (e.outputs as Record<string, unknown>).bad = {
    path: "c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-x",
    method: "nar",
  };
  const f = clone();
  f.env = { x: 1 };
  return [a, b, c, d, e, f];
}

describe("derivation JSON schemas against Nix's own (derivation-v4.yaml)", () => {
  it("accept what Nix's schema accepts and reject what it rejects, on the golden files and mutations", () => {
    const upstream = upstreamValidator("derivation-v4.yaml");
    const docs = upstreamDerivations();
    expect(docs.length).toBeGreaterThan(15);
    for (const { file, json } of docs) {
      for (const doc of [json, ...mutations(json)]) {
        const theirs = upstream(doc) as boolean;
        const ours = derivationV4Schema.safeParse(doc).success;
        expect(ours, `${file}: ${JSON.stringify(upstream.errors?.slice(0, 2))}`).toBe(theirs);
      }
      expect(detectDerivationJson(json)).toEqual({ version: 4, form: "bare" });
      expect(readDerivationJson(json).entries).toHaveLength(1);
    }
  });

  it("every output-*.json is a valid v4 output", () => {
    for (const f of readdirSync(UP()).filter((f) => f.startsWith("output-"))) {
      const json = JSON.parse(readFileSync(join(UP(), f), "utf8"));
      expect(derivationOutputV4Schema.safeParse(json).success, f).toBe(true);
    }
    expect(derivationOutputV4Schema.safeParse({ method: "nar" }).success).toBe(false);
    expect(derivationOutputV4Schema.safeParse({ path: "/nix/store/x" }).success).toBe(false);
  });

  it("the exported JSON Schema (v4) agrees on the golden files and mutations", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(derivationJsonSchema("v4"));
    for (const { json } of upstreamDerivations()) {
      expect(validate(json)).toBe(true);
      const [noName, extra, badVersion] = mutations(json);
      for (const m of [noName, extra, badVersion]) expect(validate(m)).toBe(false);
    }
    for (const name of ["v1", "v1-keyed", "v2", "v3", "v4-document"] as const) {
      expect(typeof derivationJsonSchema(name)).toBe("object");
    }
  });
});

it("reports every problem with its JSON path, all at once", () => {
  const bad = {
    outputs: { out: { path: "/nix/store/short", hashAlgo: "r:sha257" } },
    inputSrcs: ["/tmp/x", "/tmp/x"],
    inputDrvs: {},
    system: 1,
    builder: "/bin/sh",
    args: [],
    env: { a: 2 },
  };
  const problems = derivationJsonProblems(bad);
  const paths = problems.map((p) => JSON.stringify(p.path));
  for (const expected of [
    ["outputs", "out", "path"],
    ["outputs", "out", "hashAlgo"],
    ["inputSrcs", 0],
    ["inputSrcs", 1],
    ["system"],
    ["env", "a"],
  ]) {
    expect(paths).toContain(JSON.stringify(expected));
  }
  expect(() => readDerivationJson(bad)).toThrow(JsonValidationError);
  // well-formed but breaking Nix's rules: reported with paths too (an empty env name is valid)
  const rules = derivationJsonProblems({
    outputs: {},
    inputSrcs: [],
    inputDrvs: {},
    system: "",
    builder: "",
    args: [],
    env: { "": "x" },
  });
  expect(rules.map((p) => p.code)).toEqual([
    "derivation.no-outputs",
    "derivation.empty-system",
    "derivation.empty-builder",
  ]);
});
