/** Nix's own golden files for hashes, store paths and content addresses. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatHash, parseHash } from "../../src/core/index.js";
import {
  ContentAddressJson,
  contentAddressFromJson,
  contentAddressToJson,
  HashJson,
  hashFromJson,
  hashToJson,
  StorePathJson,
  storePathFromJson,
  storePathToJson,
} from "../../src/schemas/core.js";
import { JsonValidationError, parseWithSchema } from "../../src/schemas/validate.js";
import { upstreamExamples, upstreamValidator } from "../support/json-schema.js";
import { fixturePath } from "../support/fixtures.js";

const read = (...p: string[]) =>
  JSON.parse(readFileSync(fixturePath("nix-upstream", ...p), "utf8"));

describe("nix-upstream golden files: core", () => {
  it("hashes in libutil/hash", () => {
    for (const f of ["sha256.json", "sha512.json", "blake3.json"]) {
      const json = read("libutil", "hash", f);
      expect(upstreamValidator("hash-v1.yaml")(json)).toBe(true);
      expect(hashToJson(hashFromJson(parseWithSchema(HashJson, json)))).toBe(json);
    }
    const blake3 = read("libutil", "hash", "blake3.json");
    expect(parseHash(blake3).algorithm).toBe("blake3");
  });

  it("store paths in libstore/store-path", () => {
    const json = read("libstore", "store-path", "simple.json");
    const sp = storePathFromJson(parseWithSchema(StorePathJson, json));
    expect(sp.name).toBe("foo.drv");
    expect(storePathToJson(sp)).toBe(json);
  });

  it("content addresses in libstore/content-address", () => {
    for (const f of ["nar.json", "text.json"]) {
      const json = read("libstore", "content-address", f);
      expect(upstreamValidator("content-address-v1.yaml")(json)).toBe(true);
      const ca = contentAddressFromJson(parseWithSchema(ContentAddressJson, json));
      expect(contentAddressToJson(ca)).toEqual(json);
    }
  });

  it("our schemas agree with Nix's JSON Schemas on examples and counter-examples", () => {
    const cases: [
      string,
      typeof HashJson | typeof StorePathJson | typeof ContentAddressJson,
      unknown[],
    ][] = [
      [
        "hash-v1.yaml",
        HashJson,
        [
          ...upstreamExamples("hash-v1.yaml"),
          "sha256:abc",
          "sha256-",
          "md5-AAAA",
          42,
          formatHash(parseHash("sha1:iwjz551fyw0cxcjgf4l6c879zabd6wpm"), "sri"),
        ],
      ],
      [
        "store-path-v1.yaml",
        StorePathJson,
        [
          ...upstreamExamples("store-path-v1.yaml"),
          "g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-",
          "/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-x",
          "g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-ok",
        ],
      ],
      [
        "content-address-v1.yaml",
        ContentAddressJson,
        [
          { method: "nar", hash: "sha256-9vLqj0XYoFfJVmoz+ZR02i5camYE1zYSFlDicwxvsKM=" },
          { method: "recursive", hash: "sha256-9vLqj0XYoFfJVmoz+ZR02i5camYE1zYSFlDicwxvsKM=" },
          { method: "nar" },
          { method: "flat", hash: "sha256-9vLqj0XYoFfJVmoz+ZR02i5camYE1zYSFlDicwxvsKM=", extra: 1 },
        ],
      ],
    ];
    for (const [file, schema, docs] of cases) {
      const upstream = upstreamValidator(file);
      for (const doc of docs) {
        // Ours may be stricter than a regex (digest length, alphabet): only where upstream rejects, we must too.
        const ok = schema.safeParse(doc).success;
        if (upstream(doc) === false) expect(ok, `${file}: ${JSON.stringify(doc)}`).toBe(false);
        if (ok) expect(upstream(doc), `${file}: ${JSON.stringify(doc)}`).toBe(true);
      }
    }
  });

  it("reports every problem with its JSON path", () => {
    try {
      parseWithSchema(ContentAddressJson, { method: "recursive", hash: "sha256:x", extra: 1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JsonValidationError);
      const paths = (err as JsonValidationError).issues.map((i) => i.path.join("."));
      expect(paths).toEqual(expect.arrayContaining(["method", "hash"]));
      expect((err as JsonValidationError).message).toMatch(/\$\.method/);
    }
  });
});
