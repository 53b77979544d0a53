import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import { parseNarInfo, printNarInfo } from "../../src/narinfo/index.js";
import { ClosureJson, makeClosureJson, parseClosureJson } from "../../src/schemas/closure.js";
import { NarInfoJson, narInfoFromJson, narInfoToJson } from "../../src/schemas/narinfo.js";
import {
  Nix28PathInfoListJson,
  narInfoToStoreObjectInfoJson,
  parseStoreObjectInfoJson,
  StoreObjectInfoJson,
} from "../../src/schemas/path-info.js";
import { JsonValidationError } from "../../src/schemas/validate.js";
import { arbNarInfo } from "../../src/testing/narinfo.js";
import { fixturePath } from "../support/fixtures.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 200);

const EXAMPLE = `StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf
URL: nar/0i1dmr7f1pliycq471wfgifwrkbii2ky9gb35zsvv46ld1rl2m2c.nar.xz
Compression: xz
FileHash: sha256:0i1dmr7f1pliycq471wfgifwrkbii2ky9gb35zsvv46ld1rl2m2c
FileSize: 3020
NarHash: sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw
NarSize: 11408
References: 0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf arsnax0avamwiml7qrwn9wzbic33pyk9-polkit-0.113
Deriver: lzydd5cyykz34jpbchk6psv23kgmx1f2-dbus-conf.drv
Sig: cache.nixos.org-1:gegnOA5CqLYaCIgcQ843KvfYZBzn2cKGzC2hcSrZHRt4Nj+uJaVNV06iARZ39zJtbnuyq7+5KCPcl3zB0hoyBA==
`;

describe("narinfo show JSON", () => {
  it("is lossless: JSON back to the same value and text, for every quirk", () => {
    fc.assert(
      fc.property(arbNarInfo(), (info) => {
        const json = JSON.parse(JSON.stringify(narInfoToJson(info)));
        expect(NarInfoJson.safeParse(json).success).toBe(true);
        const back = narInfoFromJson(json);
        expect(back).toEqual(info);
        expect(printNarInfo(back)).toBe(printNarInfo(info));
      }),
      { numRuns: RUNS },
    );
  });

  it("reports problems with their JSON path", () => {
    const json = narInfoToJson(parseNarInfo(EXAMPLE));
    const bad = { ...json, narHash: "md5:abc", references: ["nope"] };
    try {
      narInfoFromJson(bad);
      throw new Error("expected an error");
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).position.path).toEqual(["narHash"]);
    }
    try {
      narInfoFromJson({ ...json, references: ["nope"] });
      throw new Error("expected an error");
    } catch (err) {
      expect((err as ValidationError).position.path).toEqual(["references"]);
      expect((err as ValidationError).code).toBe("narinfo.bad-store-path");
    }
    expect(() => narInfoFromJson({ ...json, narSize: -1 })).toThrow(JsonValidationError);
    expect(() => narInfoFromJson({ ...json, extra: 1 })).toThrow(JsonValidationError);
    expect(() =>
      narInfoFromJson({ ...json, quirks: { ...json.quirks, fieldOrder: ["URL"] } }),
    ).toThrow(ValidationError);
  });
});

describe("Nix's path-info and nar-info JSON (upstream golden files)", () => {
  for (const kind of ["path-info", "nar-info"]) {
    for (const v of ["json-1", "json-2", "json-3"]) {
      const d = fixturePath("nix-upstream", "libstore", kind, v);
      for (const f of readdirSync(d)) {
        it(`${kind}/${v}/${f} validates`, () => {
          const json = JSON.parse(readFileSync(join(d, f), "utf8"));
          expect(parseStoreObjectInfoJson(json)).toEqual(json);
          expect(StoreObjectInfoJson.safeParse(json).success).toBe(true);
        });
      }
    }
  }

  it("refuses broken documents with paths", () => {
    const json = JSON.parse(
      readFileSync(
        fixturePath("nix-upstream", "libstore", "nar-info", "json-3", "impure.json"),
        "utf8",
      ),
    );
    const { url: _url, ...noUrl } = json;
    const r = StoreObjectInfoJson.safeParse(noUrl);
    expect(r.success).toBe(false);
    try {
      parseStoreObjectInfoJson({ ...json, signatures: [{ keyName: "a", sig: "AAAA" }] });
      throw new Error("expected an error");
    } catch (err) {
      expect(err).toBeInstanceOf(JsonValidationError);
      expect((err as JsonValidationError).issues[0]!.path).toEqual(["signatures", 0, "sig"]);
    }
  });

  it("a narinfo converts to valid nar-info JSON of every version", () => {
    const info = parseNarInfo(EXAMPLE);
    for (const v of [1, 2, 3] as const) {
      const json = narInfoToStoreObjectInfoJson(info, v);
      expect(parseStoreObjectInfoJson(json)).toEqual(json);
    }
  });
});

describe("Nix 2.8 path-info JSON and exportReferencesGraph closures", () => {
  it("validates what Nix 2.8 prints", () => {
    const sample = [
      {
        path: "/nix/store/g1nbmnqnx4gpnv32yprf4ql87ccg5035-f1",
        narHash: "sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=",
        narSize: 120,
        references: [],
        ca: "fixed:r:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw",
        closureSize: 120,
        url: "nar/17gd6zzlkx90irc6qawagdkgh1d7qvlnq46yjf7xiqw9ycz7zq4a.nar.xz",
        downloadHash: "sha256-iuB/PvOJ49iPk94QbOnGpwX4ZnuKK2xYjiD1Sf837Z0=",
        downloadSize: 128,
        closureDownloadSize: 128,
      },
      { path: "/nix/store/g1nbmnqnx4gpnv32yprf4ql87ccg5035-f2", valid: false },
    ];
    expect(Nix28PathInfoListJson.parse(sample)).toEqual(sample);
    expect(Nix28PathInfoListJson.safeParse([{ ...sample[0], narSize: "1" }]).success).toBe(false);
  });

  it("closure JSON: computed, validated, ordered", () => {
    const dep = parseNarInfo(
      EXAMPLE.replace(/References: .*\n/, "References: \n").replace(
        "0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf\n",
        "arsnax0avamwiml7qrwn9wzbic33pyk9-polkit-0.113\n",
      ),
    );
    const top = parseNarInfo(EXAMPLE);
    const toObj = (i: typeof top) => ({
      path: i.storePath,
      narHash: i.narHash,
      narSize: i.narSize,
      references: i.references,
      ca: i.ca,
    });
    const closure = makeClosureJson([toObj(top), toObj(dep)]);
    expect(closure.map((e) => [e.path.slice(44), e.closureSize])).toEqual([
      ["dbus-conf", 11408 + 11408],
      ["polkit-0.113", 11408],
    ]);
    expect(parseClosureJson(closure)).toEqual(closure);
    expect(ClosureJson.safeParse([...closure].reverse()).success).toBe(false);
    expect(ClosureJson.safeParse([closure[0]]).success).toBe(false);
    expect(() => makeClosureJson([toObj(top)])).toThrow(ValidationError);
  });
});
