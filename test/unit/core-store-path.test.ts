import { describe, expect, it } from "vitest";
import {
  compareStorePaths,
  computeHash,
  hashPlaceholder,
  makeFixedOutputPath,
  makeOutputPath,
  makeTextPath,
  parseHash,
  parseStorePath,
  parseStorePathBaseName,
  StorePathError,
  storePathToAbsolute,
  validateStorePathName,
} from "../../src/core/index.js";

describe("store paths", () => {
  it("parses and prints", () => {
    const p = "/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-h.txt";
    const sp = parseStorePath(p);
    expect(sp).toEqual({ hash: "pihdd9cadryc4gkk8zsdbvpvilql139b", name: "h.txt" });
    expect(storePathToAbsolute(sp)).toBe(p);
  });

  it("rejects bad paths with codes", () => {
    const cases: [string, string][] = [
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b", "store-path.too-short"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139e-x", "store-path.invalid-hash"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b_x", "store-path.missing-dash"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-", "store-path.empty-name"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-a b", "store-path.invalid-name-character"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-..", "store-path.dot-name"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-.-x", "store-path.dot-name"],
      ["/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-x/y", "store-path.has-subpath"],
      ["/other/pihdd9cadryc4gkk8zsdbvpvilql139b-x", "store-path.not-in-store"],
      [
        `/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-${"a".repeat(212)}`,
        "store-path.name-too-long",
      ],
    ];
    for (const [path, code] of cases) {
      expect(() => parseStorePath(path), path).toThrow(StorePathError);
      try {
        parseStorePath(path);
      } catch (err) {
        expect((err as StorePathError).code, path).toBe(code);
      }
    }
  });

  it("accepts a 211-character name and applies each era's leading-dot rule", () => {
    expect(() => validateStorePathName("a".repeat(211))).not.toThrow();
    expect(() => validateStorePathName(".foo")).not.toThrow();
    expect(() => validateStorePathName("..foo")).not.toThrow();
    expect(() => validateStorePathName("..")).toThrow(StorePathError);
    expect(() => validateStorePathName(".-x")).toThrow(StorePathError);
    expect(() => validateStorePathName(".-x", { nameRules: "nix-2.4" })).not.toThrow();
    expect(() => validateStorePathName(".foo", { nameRules: "nix-2.3" })).toThrow(
      /illegal character/,
    );
  });

  it("orders by base name", () => {
    const a = parseStorePathBaseName("00000000000000000000000000000000-b");
    const b = parseStorePathBaseName("10000000000000000000000000000000-a");
    expect(compareStorePaths(a, b)).toBe(-1);
  });
});

describe("store path computation", () => {
  it("computes a flat fixed-output path (nix-store --add-fixed sha256)", () => {
    const hash = computeHash("sha256", "hello\n");
    const sp = makeFixedOutputPath("h.txt", { method: "flat", hash });
    expect(storePathToAbsolute(sp)).toBe("/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-h.txt");
  });

  it("computes the hash placeholder for out", () => {
    expect(hashPlaceholder("out")).toBe("/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
  });

  it("computes text paths with references sorted", () => {
    const h = parseHash("sha256:0000000000000000000000000000000000000000000000000000");
    const r1 = "/nix/store/00000000000000000000000000000000-b";
    const r2 = "/nix/store/10000000000000000000000000000000-a";
    expect(makeTextPath("x", h, [r2, r1])).toEqual(makeTextPath("x", h, [r1, r2]));
  });

  it("makes output paths with the -output suffix", () => {
    const d = new Uint8Array(32);
    expect(makeOutputPath("dev", d, "foo").name).toBe("foo-dev");
    expect(makeOutputPath("out", d, "foo").name).toBe("foo");
  });
});
