/**
 * Derivations with modern Nix's hashes and methods: a `blake3` fixed output and a `git`
 * (`git:sha1`) fixed output parse from ATerm and from every JSON version, print back, and get
 * the output path core's `makeFixedOutputPath` computes; Nix's JSON Schema (derivation-v4.yaml)
 * and ours agree on such documents.
 */
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  base16Encode,
  type ContentAddress,
  formatHash,
  hashBytes,
  type HashAlgorithm,
  makeFixedOutputPath,
  storePathToAbsolute,
} from "../../src/core/index.js";
import {
  computeOutputPathsSync,
  derivationFromJson,
  derivationPath,
  derivationToJson,
  parseDerivationATermString,
  printDerivationATerm,
} from "../../src/derivation/index.js";
import {
  ContentAddressJson,
  contentAddressFromJson,
  contentAddressToJson,
  parseWithSchema,
} from "../../src/schemas/index.js";
import { derivationJsonSchema } from "../../src/schemas/derivation-json-schema.js";
import { derivationV4Schema } from "../../src/schemas/derivation-v4.js";
import { upstreamValidator } from "../support/json-schema.js";

interface Case {
  readonly title: string;
  readonly hashAlgo: string;
  readonly ca: ContentAddress;
}

function fixed(title: string, hashAlgo: string, method: ContentAddress["method"]): Case {
  const algorithm = hashAlgo.replace(/^.*:/, "") as HashAlgorithm;
  return {
    title,
    hashAlgo,
    ca: { method, hash: { algorithm, digest: hashBytes(algorithm, title) } },
  };
}

const CASES: Case[] = [
  fixed("blake3, flat", "blake3", "flat"),
  fixed("blake3, nar", "r:blake3", "nar"),
  fixed("git, sha1", "git:sha1", "git"),
  fixed("git, sha256", "git:sha256", "git"),
];

const printed = (drv: Parameters<typeof printDerivationATerm>[0]) =>
  new TextDecoder().decode(printDerivationATerm(drv));

function aterm(c: Case): { text: string; path: string } {
  const path = storePathToAbsolute(makeFixedOutputPath("fetched", c.ca));
  const hex = base16Encode(c.ca.hash.digest);
  const text =
    `Derive([("out","${path}","${c.hashAlgo}","${hex}")],[],[],"x86_64-linux","builtin:fetchurl",[],` +
    `[("builder","builtin:fetchurl"),("name","fetched"),("out","${path}"),("outputHash","${hex}"),` +
    `("outputHashAlgo","${c.hashAlgo.replace(/^.*:/, "")}"),("system","x86_64-linux")])`;
  return { text, path };
}

describe("derivations with blake3 and git-method fixed outputs", () => {
  for (const c of CASES) {
    it(`${c.title}: ATerm and JSON v1-v4 round trip, output path = makeFixedOutputPath`, () => {
      const { text, path } = aterm(c);
      const drv = parseDerivationATermString(text);
      const out = drv.outputs.get("out")!;
      expect(out).toMatchObject({ kind: "caFixed", method: c.ca.method, path });
      expect(printed(drv)).toBe(text);
      expect(computeOutputPathsSync(drv).get("out")).toBe(path);
      const drvPath = derivationPath(drv);
      for (const version of [1, 2, 3, 4] as const) {
        const json = derivationToJson(drv, { version });
        const back = derivationFromJson(json);
        expect(printed(back), `v${version}`).toBe(text);
        expect(derivationPath(back)).toBe(drvPath);
        expect(computeOutputPathsSync(back).get("out")).toBe(path);
      }
      expect(derivationToJson(drv, { version: 1 })).toMatchObject({
        outputs: { out: { path, hashAlgo: c.hashAlgo, hash: base16Encode(c.ca.hash.digest) } },
      });
    });
  }

  it("a git method with md5/sha512/blake3 is refused, as Nix refuses it", () => {
    const { text } = aterm(CASES[2]!);
    expect(() => parseDerivationATermString(text.replaceAll("git:sha1", "git:blake3"))).toThrow(
      /SHA-1 or SHA-256|git/i,
    );
  });
});

describe("Nix's JSON Schema and ours agree on modern fixed and floating outputs", () => {
  const upstream = upstreamValidator("derivation-v4.yaml");
  const ajv = new Ajv({ strict: false, allErrors: true });
  const exported = ajv.compile(derivationJsonSchema("v4"));

  function documents(): { doc: unknown; valid: boolean }[] {
    const docs: { doc: unknown; valid: boolean }[] = [];
    for (const c of CASES) {
      const v4 = derivationToJson(parseDerivationATermString(aterm(c).text), {
        version: 4,
      }) as Record<string, unknown>;
      docs.push({ doc: v4, valid: true });
      const floating = structuredClone(v4);
      floating.outputs = { out: { method: c.ca.method, hashAlgo: c.ca.hash.algorithm } };
      docs.push({ doc: floating, valid: true });
      const badMethod = structuredClone(v4);
      (badMethod.outputs as Record<string, Record<string, unknown>>).out!.method = "gitx";
      docs.push({ doc: badMethod, valid: false });
      const badAlgo = structuredClone(floating);
      (badAlgo.outputs as Record<string, Record<string, unknown>>).out!.hashAlgo = "blake2";
      docs.push({ doc: badAlgo, valid: false });
    }
    return docs;
  }

  it("derivation-v4.yaml, our zod schema and our exported JSON Schema give the same verdict", () => {
    const docs = documents();
    expect(docs).toHaveLength(16);
    for (const { doc, valid } of docs) {
      const where = JSON.stringify((doc as { outputs: unknown }).outputs);
      expect(upstream(doc), `upstream ${where}: ${JSON.stringify(upstream.errors)}`).toBe(valid);
      expect(derivationV4Schema.safeParse(doc).success, `zod ${where}`).toBe(valid);
      expect(exported(doc), `exported ${where}`).toBe(valid);
    }
  });
});

describe("content addresses in JSON (content-address-v1)", () => {
  it("git with sha1 reads and writes back; git with blake3 is refused at its hash", () => {
    const sri = formatHash({ algorithm: "sha1", digest: hashBytes("sha1", "blob") }, "sri");
    const json = { method: "git", hash: sri } as const;
    expect(upstreamValidator("content-address-v1.yaml")(json)).toBe(true);
    const ca = contentAddressFromJson(parseWithSchema(ContentAddressJson, json));
    expect(ca.method).toBe("git");
    expect(contentAddressToJson(ca)).toEqual(json);
    const b3 = formatHash({ algorithm: "blake3", digest: hashBytes("blake3", "blob") }, "sri");
    const blake3 = { method: "git", hash: b3 } as const;
    expect(() => contentAddressFromJson(blake3)).toThrow(
      expect.objectContaining({
        code: "content-address.git-algorithm",
        position: { path: ["hash"] },
      }),
    );
  });
});
