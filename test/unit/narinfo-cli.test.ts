import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNarInfo } from "../../src/narinfo/index.js";
import { narInfoFromJson } from "../../src/schemas/narinfo.js";
import {
  formatPublicKey,
  generateSecretKey,
  parseSecretKey,
  publicKeyOf,
} from "../../src/signing/keys.js";
import { runCli } from "../support/cli.js";
import { withTempDir } from "../support/nix.js";

const NARINFO = `StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf
URL: nar/0i1dmr7f1pliycq471wfgifwrkbii2ky9gb35zsvv46ld1rl2m2c.nar.xz
Compression: xz
FileHash: sha256:0i1dmr7f1pliycq471wfgifwrkbii2ky9gb35zsvv46ld1rl2m2c
FileSize: 3020
NarHash: sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw
NarSize: 11408
References: 0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf arsnax0avamwiml7qrwn9wzbic33pyk9-polkit-0.113 c6y19ffnw8zv1w2vbb5liphzz8ac8kyn-system-path ldr92ws27avm6xhb3j7w8dqfpk5d26vw-upower-0.99.4 mzdwg3964jg5wq24vdf0w7l2nz6i6kp4-udisks-2.1.6 xq39as86nvdny7616p6rbb3n41ab5aan-dbus-1.10.14
Deriver: lzydd5cyykz34jpbchk6psv23kgmx1f2-dbus-conf.drv
Sig: cache.nixos.org-1:gegnOA5CqLYaCIgcQ843KvfYZBzn2cKGzC2hcSrZHRt4Nj+uJaVNV06iARZ39zJtbnuyq7+5KCPcl3zB0hoyBA==
`;
const CACHE_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

describe("nix-compat narinfo / key commands", () => {
  it("narinfo show prints lossless JSON (file or stdin)", () => {
    withTempDir((dir) => {
      const f = join(dir, "x.narinfo");
      writeFileSync(f, NARINFO);
      const r = runCli(["narinfo", "show", f]);
      expect(r.status).toBe(0);
      const json = JSON.parse(r.stdoutText);
      expect(json.narSize).toBe(11408);
      expect(json.flags).toEqual([]);
      expect(narInfoFromJson(json)).toEqual(parseNarInfo(NARINFO));
      const s = runCli(["narinfo", "show", "-"], { input: NARINFO });
      expect(s.stdoutText).toBe(r.stdoutText);
    });
  });

  it("narinfo show: invalid input exits 1 with error: file, line and what was expected", () => {
    withTempDir((dir) => {
      const f = join(dir, "bad.narinfo");
      writeFileSync(f, NARINFO.replace("NarSize: 11408", "NarSize: lots"));
      const r = runCli(["narinfo", "show", f]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^error: .*bad\.narinfo: line 7.*NarSize: expected a size.*found 'lots'/,
      );
    });
  });

  it("narinfo fingerprint", () => {
    const r = runCli(["narinfo", "fingerprint", "-"], { input: NARINFO });
    expect(r.status).toBe(0);
    expect(r.stdoutText).toMatch(
      /^1;\/nix\/store\/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf;sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw;11408;\/nix\/store\/0a3y.*dbus-1\.10\.14\n$/,
    );
  });

  it("narinfo verify: exit 0 with a right key, 1 otherwise, 2 without keys", () => {
    const ok = runCli(["narinfo", "verify", "--key", CACHE_KEY, "-"], { input: NARINFO });
    expect(ok.status).toBe(0);
    expect(ok.stdoutText).toContain("cache.nixos.org-1");
    const other = formatPublicKey(publicKeyOf(generateSecretKey("cache.nixos.org-1")));
    const wrong = runCli(["narinfo", "verify", "--key", other, "-"], { input: NARINFO });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*no valid signature.*cache\.nixos\.org-1 \(invalid\)/);
    const several = runCli(["narinfo", "verify", "--key", other, CACHE_KEY, "-"], {
      input: NARINFO,
    });
    expect(several.status).toBe(0);
    const tampered = runCli(["narinfo", "verify", "--key", CACHE_KEY, "-"], {
      input: NARINFO.replace("NarSize: 11408", "NarSize: 11409"),
    });
    expect(tampered.status).toBe(1);
    const badKey = runCli(["narinfo", "verify", "--key", "nokey", "-"], { input: NARINFO });
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/^error: .*lacks a key name/);
    expect(runCli(["narinfo", "verify", "-"], { input: NARINFO }).status).toBe(2);
  });

  it("narinfo sign adds one Sig line that verifies", () => {
    withTempDir((dir) => {
      const gen = runCli(["key", "generate-secret", "--key-name", "test-1"]);
      expect(gen.status).toBe(0);
      expect(gen.stdoutText).toMatch(/^test-1:[A-Za-z0-9+/]{86}==$/);
      const skFile = join(dir, "sk");
      writeFileSync(skFile, gen.stdoutText);
      const pub = runCli(["key", "convert-secret-to-public"], { input: gen.stdoutText });
      expect(pub.status).toBe(0);
      expect(pub.stdoutText).toBe(formatPublicKey(publicKeyOf(parseSecretKey(gen.stdoutText))));
      const signed = runCli(["narinfo", "sign", "--key-file", skFile, "-"], { input: NARINFO });
      expect(signed.status).toBe(0);
      const lines = signed.stdoutText.split("\n");
      expect(signed.stdoutText.startsWith(NARINFO)).toBe(true);
      expect(lines[lines.length - 2]).toMatch(/^Sig: test-1:/);
      const v = runCli(["narinfo", "verify", "--key", pub.stdoutText, "-"], {
        input: signed.stdoutText,
      });
      expect(v.status).toBe(0);
      const narFile = join(dir, "x.narinfo");
      writeFileSync(narFile, NARINFO);
      const viaStdin = runCli(["narinfo", "sign", "--key-file", "-", narFile], {
        input: gen.stdoutText,
      });
      expect(viaStdin.status).toBe(0);
      expect(viaStdin.stdoutText).toBe(signed.stdoutText);
      expect(runCli(["narinfo", "sign", "--key-file", "-", "-"], { input: "" }).status).toBe(2);
      const badKey = join(dir, "bad");
      writeFileSync(badKey, "test-1:AAAA");
      const r = runCli(["narinfo", "sign", "--key-file", badKey, "-"], { input: NARINFO });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: .*bad.*32|^error: .*bytes, expected 64/);
    });
  });

  it("key convert-secret-to-public refuses garbage", () => {
    const r = runCli(["key", "convert-secret-to-public"], { input: "garbage" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(runCli(["key", "generate-secret"]).status).toBe(2);
  });
});
