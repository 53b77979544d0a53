import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  narInfoFingerprint,
  narInfoQuirks,
  parseNarInfo,
  printNarInfo,
  verifyNarInfo,
} from "../../src/narinfo/index.js";
import { parsePublicKey } from "../../src/signing/keys.js";
import { fixturePath } from "../support/fixtures.js";

/** Splits the corpus file into entries (separated by a blank line, each ending in "\n"). */
function corpus(): string[] {
  const text = readFileSync(fixturePath("narinfo", "cache-nixos-org.narinfo.txt"), "utf8");
  return text.split("\n\n").map((e, i, all) => (i < all.length - 1 ? `${e}\n` : e));
}

const CACHE_KEY = parsePublicKey("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=");

describe("narinfo corpus (cache.nixos.org)", () => {
  it("has 652 entries that parse and print back byte for byte", () => {
    const entries = corpus();
    expect(entries).toHaveLength(652);
    for (const e of entries) {
      expect(e.endsWith("\n")).toBe(true);
      const info = parseNarInfo(e);
      expect(printNarInfo(info)).toBe(e);
    }
  });

  it("records no quirks for Nix-written files, and sees the CA and System fields", () => {
    const infos = corpus().map((e) => parseNarInfo(e));
    for (const info of infos) expect(narInfoQuirks(info)).toEqual([]);
    expect(infos.filter((i) => i.ca !== undefined)).toHaveLength(6);
    expect(infos.filter((i) => i.system !== undefined)).toHaveLength(5);
    expect(infos.filter((i) => i.deriver === undefined)).toHaveLength(47);
  });

  it("verifies every signature with the cache.nixos.org-1 key", () => {
    const infos = corpus().map((e) => parseNarInfo(e));
    let valid = 0;
    for (const info of infos) if (verifyNarInfo(info, [CACHE_KEY])) valid++;
    expect(valid).toBe(652);
  });

  it("computes the fingerprint Nix signs", () => {
    const info = parseNarInfo(corpus()[0]!);
    expect(narInfoFingerprint(info)).toBe(
      "1;/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf;" +
        "sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw;11408;" +
        [
          "0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf",
          "arsnax0avamwiml7qrwn9wzbic33pyk9-polkit-0.113",
          "c6y19ffnw8zv1w2vbb5liphzz8ac8kyn-system-path",
          "ldr92ws27avm6xhb3j7w8dqfpk5d26vw-upower-0.99.4",
          "mzdwg3964jg5wq24vdf0w7l2nz6i6kp4-udisks-2.1.6",
          "xq39as86nvdny7616p6rbb3n41ab5aan-dbus-1.10.14",
        ]
          .map((r) => `/nix/store/${r}`)
          .join(","),
    );
  });
});
