import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/core/errors.js";
import {
  formatPublicKey,
  formatSecretKey,
  formatSignature,
  generateSecretKey,
  parsePublicKey,
  parseSecretKey,
  parseSignature,
  publicKeyOf,
  SigningError,
  signDetached,
  verifyDetached,
} from "../../src/signing/keys.js";

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SigningError);
    expect(err).toBeInstanceOf(MalformedInputError);
    return (err as SigningError).code;
  }
  throw new Error("expected an error");
}

// RFC 8032 test vector 1 (empty message)
const SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const SIG =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

describe("keys and signatures", () => {
  it("matches the RFC 8032 test vector", () => {
    const secret = generateSecretKey("test-1", hex(SEED));
    expect(Buffer.from(publicKeyOf(secret).key).toString("hex")).toBe(PUB);
    const sig = signDetached(new Uint8Array(), secret);
    expect(Buffer.from(sig.sig).toString("hex")).toBe(SIG);
    expect(verifyDetached(new Uint8Array(), sig, [publicKeyOf(secret)])).toBe(true);
  });

  it("round-trips the text forms", () => {
    const secret = generateSecretKey("cache.example.org-1");
    const text = formatSecretKey(secret);
    expect(text).toMatch(/^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/);
    expect(parseSecretKey(`${text}\n`)).toEqual(secret);
    const pub = publicKeyOf(secret);
    expect(parsePublicKey(formatPublicKey(pub))).toEqual(pub);
    const sig = signDetached("hello", secret);
    expect(parseSignature(formatSignature(sig))).toEqual(sig);
  });

  it("verification is by name, and fails on any change", () => {
    const a = generateSecretKey("a");
    const b = generateSecretKey("b");
    const sig = signDetached("msg", a);
    expect(verifyDetached("msg", sig, [publicKeyOf(b), publicKeyOf(a)])).toBe(true);
    expect(verifyDetached("msg", sig, [publicKeyOf(b)])).toBe(false);
    expect(verifyDetached("msg", sig, [{ name: "a", key: publicKeyOf(b).key }])).toBe(false);
    expect(verifyDetached("msh", sig, [publicKeyOf(a)])).toBe(false);
    const bad = sig.sig.slice();
    bad[5]! ^= 1;
    expect(verifyDetached("msg", { keyName: "a", sig: bad }, [publicKeyOf(a)])).toBe(false);
  });

  it("never says yes to what it cannot check", () => {
    const a = generateSecretKey("a");
    const sig = signDetached("msg", a);
    expect(
      verifyDetached("msg", { keyName: "a", sig: sig.sig.slice(0, 63) }, [publicKeyOf(a)]),
    ).toBe(false);
    expect(verifyDetached("msg", sig, [{ name: "a", key: new Uint8Array(31) }])).toBe(false);
    expect(verifyDetached("msg", sig, [{ name: "a", key: new Uint8Array(32).fill(255) }])).toBe(
      false,
    );
    expect(
      verifyDetached("msg", { keyName: "a", sig: new Uint8Array(64).fill(255) }, [publicKeyOf(a)]),
    ).toBe(false);
    // the identity point as a key with an all-zero-ish signature
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const zeroSig = new Uint8Array(64);
    zeroSig[0] = 1;
    expect(
      verifyDetached("msg", { keyName: "a", sig: zeroSig }, [{ name: "a", key: identity }]),
    ).toBe(false);
    expect(verifyDetached("msg", sig, [])).toBe(false);
  });

  it("malformed keys and signatures are typed errors", () => {
    const secret = formatSecretKey(generateSecretKey("k"));
    const pub = formatPublicKey(publicKeyOf(parseSecretKey(secret)));
    expect(codeOf(() => parseSignature("AAAA"))).toBe("signature.missing-name");
    expect(codeOf(() => parseSignature(":AAAA"))).toBe("signature.missing-name");
    expect(codeOf(() => parseSignature("k:AA!A"))).toBe("signature.bad-base64");
    expect(codeOf(() => parseSignature("k:AAAA"))).toBe("signature.wrong-length");
    expect(codeOf(() => parsePublicKey(pub.slice(pub.indexOf(":") + 1)))).toBe("key.missing-name");
    expect(codeOf(() => parsePublicKey(`${pub.slice(0, -4)}AA!=`))).toBe("key.bad-base64");
    expect(codeOf(() => parsePublicKey(secret))).toBe("key.wrong-length");
    expect(codeOf(() => parseSecretKey(pub))).toBe("key.wrong-length");
    expect(codeOf(() => parseSecretKey("k:"))).toBe("key.wrong-length");
    const raw = parseSecretKey(secret).key.slice();
    raw[40]! ^= 1;
    expect(codeOf(() => parseSecretKey(formatSecretKey({ name: "k", key: raw })))).toBe(
      "key.mismatched-public-half",
    );
    expect(codeOf(() => generateSecretKey(""))).toBe("key.missing-name");
    expect(codeOf(() => generateSecretKey("a:b"))).toBe("key.missing-name");
  });
});
