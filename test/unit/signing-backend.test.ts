import * as crypto from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseNarInfo, verifyNarInfo } from "../../src/narinfo/index.js";
import {
  generateSecretKey,
  getEd25519Backend,
  nobleEd25519Backend,
  parsePublicKey,
  publicKeyOf,
  setEd25519Backend,
  signDetached,
  verifyDetached,
} from "../../src/signing/index.js";
import { nodeCryptoEd25519Backend } from "../../src/signing/node-crypto.js";
import { fixturePath } from "../support/fixtures.js";

const node = nodeCryptoEd25519Backend(crypto);

afterEach(() => setEd25519Backend(nobleEd25519Backend));

describe("the node:crypto ed25519 backend agrees with the portable one", () => {
  it("same public keys and signatures, same verdicts", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(63),
        (seed, msg, flip) => {
          const pub = nobleEd25519Backend.publicKey(seed);
          expect(node.publicKey(seed)).toEqual(pub);
          const sig = nobleEd25519Backend.sign(msg, seed, pub);
          expect(node.sign(msg, seed, pub)).toEqual(sig);
          expect(node.verify(sig, msg, pub)).toBe(true);
          const bad = sig.slice();
          bad[flip]! ^= 0x10;
          expect(node.verify(bad, msg, pub)).toBe(nobleEd25519Backend.verify(bad, msg, pub));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("is used by the key and narinfo functions once installed, and never throws", () => {
    setEd25519Backend(node);
    expect(getEd25519Backend().name).toBe("node:crypto");
    const key = generateSecretKey("k");
    const sig = signDetached("msg", key);
    expect(verifyDetached("msg", sig, [publicKeyOf(key)])).toBe(true);
    expect(verifyDetached("msh", sig, [publicKeyOf(key)])).toBe(false);
    expect(verifyDetached("msg", sig, [{ name: "k", key: new Uint8Array(32).fill(255) }])).toBe(
      false,
    );
    {
      const text = readFileSync(fixturePath("narinfo", "cache-nixos-org.narinfo.txt"), "utf8");
      const cacheKey = parsePublicKey(
        "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=",
      );
      for (const e of text.split("\n\n").slice(0, 100)) {
        expect(verifyNarInfo(parseNarInfo(`${e.trimEnd()}\n`), [cacheKey])).toBe(true);
      }
    }
  });
});
