/**
 * Issue 14, secret keys: no error ever quotes key material, and a key wrapped by `base64`
 * (76-character lines) reads as Nix 2.8 reads it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parseSecretKey,
  publicKeyOf,
  SigningError,
} from "../../src/signing/keys.js";
import { runCli } from "../support/cli.js";
import { runCliInProcess } from "../support/cli-inprocess.js";
import { describeWithNix, nix, withTempDirAsync } from "../support/nix.js";

const SECRET = generateSecretKey("test-1", new Uint8Array(32).fill(7));
const TEXT = formatSecretKey(SECRET);
const B64 = TEXT.slice("test-1:".length);

/** The base64 cut into lines of `width` characters, as `base64` (GNU coreutils) writes it. */
function wrapped(width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < B64.length; i += width) lines.push(B64.slice(i, i + width));
  return `test-1:${lines.join("\n")}\n`;
}

/** Every hostile variant of the key, each of which must be refused. */
const BROKEN: Record<string, string> = {
  "stray character": `test-1:${B64.slice(0, 10)}!${B64.slice(10)}`,
  "stray space": `test-1:${B64.slice(0, 10)} ${B64.slice(10)}`,
  "CRLF wrapping": `test-1:${B64.slice(0, 76)}\r\n${B64.slice(76)}\r\n`,
  "no padding": TEXT.replace(/=+$/, ""),
  "padding inside": `test-1:${B64.slice(0, 8)}=${B64.slice(8)}`,
  "no name": B64,
  "one byte short": `test-1:${B64.slice(0, -4)}`,
  "corrupt public half": `test-1:${B64.slice(0, 60)}${B64[60] === "A" ? "B" : "A"}${B64.slice(61)}`,
};

/** True if `message` holds any 8 consecutive characters of the key's base64. */
function leaks(message: string): boolean {
  for (let i = 0; i + 8 <= B64.length; i++) if (message.includes(B64.slice(i, i + 8))) return true;
  return false;
}

describe("secret keys in hostile forms", () => {
  it("reads the key wrapped by base64 (76-character lines) and other line widths", () => {
    for (const width of [76, 64, 4, 1]) expect(parseSecretKey(wrapped(width))).toEqual(SECRET);
  });

  for (const [what, text] of Object.entries(BROKEN)) {
    it(`refuses a key with ${what} without quoting any of it`, () => {
      let err: unknown;
      try {
        parseSecretKey(text, { file: "key.sec" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SigningError);
      expect(leaks((err as SigningError).message)).toBe(false);
      expect(leaks(String((err as SigningError).stack))).toBe(false);
    });
  }

  it("key convert-secret-to-public and narinfo sign: wrapped keys work, broken ones are refused without the key", async () => {
    const r = await runCliInProcess(["key", "convert-secret-to-public"], { input: wrapped(76) });
    expect(r.stderr).toBe("");
    expect(r.stdout.toString()).toBe(formatPublicKey(publicKeyOf(SECRET)));
    await withTempDirAsync(async (dir) => {
      const narinfo = join(dir, "x.narinfo");
      writeFileSync(
        narinfo,
        "StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf\nURL: nar/x.nar\nCompression: none\nNarHash: sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw\nNarSize: 11408\nReferences: \n",
      );
      for (const [what, text] of Object.entries(BROKEN)) {
        const keyFile = join(dir, "key.sec");
        writeFileSync(keyFile, text);
        for (const args of [
          ["narinfo", "sign", "--key-file", keyFile, narinfo],
          ["key", "convert-secret-to-public"],
        ]) {
          const run = await runCliInProcess(args, { input: text });
          expect(run.status, `${what}: ${args.join(" ")}`).toBe(1);
          expect(run.stderr).toMatch(/^error: /);
          expect(leaks(run.stderr), `${what}: ${run.stderr}`).toBe(false);
        }
      }
    });
  });
});

describeWithNix("secret keys wrapped by base64", () => {
  it("convert-secret-to-public gives Nix's public key for a wrapped key", () => {
    const key = formatSecretKey(generateSecretKey("wrapped-1"));
    const b64 = key.slice("wrapped-1:".length);
    const text = `wrapped-1:${b64.slice(0, 76)}\n${b64.slice(76)}\n`;
    const ours = runCli(["key", "convert-secret-to-public"], { input: text });
    expect(ours.status).toBe(0);
    expect(ours.stdoutText).toBe(nix(["key", "convert-secret-to-public"], { input: text }));
  });
});
