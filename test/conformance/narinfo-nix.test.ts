import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  narInfoFingerprint,
  parseNarInfo,
  printNarInfo,
  signNarInfo,
  verifyNarInfo,
} from "../../src/narinfo/index.js";
import { makeClosureJson, parseClosureJson } from "../../src/schemas/closure.js";
import { Nix28PathInfoListJson, narInfoToNix28PathInfoJson } from "../../src/schemas/path-info.js";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parsePublicKey,
  parseSecretKey,
  publicKeyOf,
} from "../../src/signing/keys.js";
import { runCli } from "../support/cli.js";
import { describeWithNix, nix, runNix } from "../support/nix.js";

/**
 * A derivation whose output is the exportReferencesGraph closure of `mid` (which refers to `dep`).
 * (The builder must not end with the `cp`: bash then execs it and Nix 2.8 kills the build.)
 */
function expression(nonce: string): string {
  return `
let
  dep = builtins.toFile "dep-${nonce}.txt" "dependency ${nonce}";
  mid = derivation {
    name = "mid-${nonce}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo \${dep} > $out" ];
  };
in derivation {
  name = "closure-${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/bash";
  __structuredAttrs = true;
  exportReferencesGraph.closure = [ mid ];
  args = [ "-c" "source .attrs.sh; /bin/cp .attrs.json \\"\${"$"}{outputs[out]}\\"; echo copied" ];
}
`;
}

function narinfosIn(cache: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(cache)) {
    if (f.endsWith(".narinfo")) out.set(f, readFileSync(join(cache, f), "utf8"));
  }
  return out;
}

describeWithNix("narinfo, signatures and keys agree with real Nix", () => {
  let dir: string;
  let out: string;
  let added: string;
  let closure: string[];
  let nixSecretFile: string;
  let nixPublic: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-narinfo-"));
    const nonce = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    writeFileSync(join(dir, "default.nix"), expression(nonce));
    out = runNix("nix-build", ["--no-out-link", join(dir, "default.nix")]);
    writeFileSync(join(dir, "added.txt"), `added by nix-store --add ${nonce}\n`);
    added = runNix("nix-store", ["--add", join(dir, "added.txt")]);
    closure = runNix("nix-store", ["-qR", out, added]).split("\n");
    nixSecretFile = join(dir, "nix.sk");
    writeFileSync(nixSecretFile, nix(["key", "generate-secret", "--key-name", "nix-made-1"]));
    nixPublic = nix(["key", "convert-secret-to-public"], { input: readFileSync(nixSecretFile) });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("parses the exportReferencesGraph closure Nix writes, and computes the same one", () => {
    const attrs = JSON.parse(readFileSync(out, "utf8")) as { closure: unknown };
    const parsed = parseClosureJson(attrs.closure);
    expect(parsed).toHaveLength(2);
    expect(parsed.some((e) => e.ca !== undefined)).toBe(true);
    expect(JSON.stringify(attrs.closure)).toBe(JSON.stringify(parsed));
    // the same closure from the narinfos of a binary cache
    const cache = join(dir, "closure-cache");
    nix(["copy", "--to", `file://${cache}`, ...parsed.map((e) => e.path)]);
    const infos = [...narinfosIn(cache).values()].map((t) => parseNarInfo(t));
    const ours = makeClosureJson(
      infos.map((i) => ({
        path: i.storePath,
        narHash: i.narHash,
        narSize: i.narSize,
        references: i.references,
        ca: i.ca,
      })),
    );
    expect(JSON.stringify(ours)).toBe(JSON.stringify(attrs.closure));
  });

  it("narinfos from `nix copy --to file://` of paths signed with `nix store sign` parse, print back and verify", () => {
    nix(["store", "sign", "-k", nixSecretFile, ...closure]);
    const cache = join(dir, "cache");
    nix(["copy", "--to", `file://${cache}`, ...closure]);
    const files = narinfosIn(cache);
    expect(files.size).toBe(closure.length);
    const key = parsePublicKey(nixPublic);
    const other = publicKeyOf(generateSecretKey("nix-made-1"));
    const pathInfo = Nix28PathInfoListJson.parse(
      JSON.parse(nix(["path-info", "--json", "--store", `file://${cache}`, ...closure])),
    );
    for (const [name, text] of files) {
      const info = parseNarInfo(text);
      expect(printNarInfo(info)).toBe(text);
      expect(name).toBe(`${info.storePath.hash}.narinfo`);
      expect(info.signatures.map((s) => s.keyName)).toContain("nix-made-1");
      expect(verifyNarInfo(info, [key])).toBe(true);
      expect(verifyNarInfo(info, [other])).toBe(false);
      const fromNix = pathInfo.find((p) =>
        p.path.endsWith(`/${info.storePath.hash}-${info.storePath.name}`),
      );
      expect(narInfoToNix28PathInfoJson(info)).toEqual(fromNix);
    }
    // the CLI agrees
    const [first] = files.keys();
    const r = runCli(["narinfo", "verify", "--key", nixPublic, join(cache, first!)]);
    expect(r.status).toBe(0);
    const fp = runCli(["narinfo", "fingerprint", join(cache, first!)]);
    expect(fp.stdoutText.trim()).toBe(narInfoFingerprint(parseNarInfo(files.get(first!)!)));
  });

  it("a binary cache whose narinfos carry OUR signatures is accepted by Nix, and refused with another key", () => {
    const inputAddressed = closure.filter((p) => p.includes("-mid-") || p.includes("-closure-"));
    expect(inputAddressed).toHaveLength(2);
    const ours = generateSecretKey("nix-compat-test-1");
    const oursFile = join(dir, "ours.sk");
    writeFileSync(oursFile, formatSecretKey(ours));
    const nixKey = parseSecretKey(readFileSync(nixSecretFile, "utf8"));
    const cache = join(dir, "resigned");
    nix(["copy", "--to", `file://${cache}`, ...closure]);
    for (const [name, text] of narinfosIn(cache)) {
      const info = parseNarInfo(text);
      // drop the signatures Nix made, sign with ours (library) and with Nix's key (our CLI)
      const resigned = signNarInfo({ ...info, signatures: [] }, ours);
      writeFileSync(join(cache, name), printNarInfo(resigned));
      const viaCli = runCli(["narinfo", "sign", "--key-file", nixSecretFile, join(cache, name)]);
      expect(viaCli.status).toBe(0);
      const both = parseNarInfo(viaCli.stdoutText);
      expect(both.signatures.map((s) => s.keyName)).toEqual(["nix-compat-test-1", "nix-made-1"]);
      expect(verifyNarInfo(both, [publicKeyOf(nixKey)])).toBe(true);
    }
    const copyInto = (store: string, trusted: string) =>
      spawnSync(
        "nix",
        [
          "copy",
          "--from",
          `file://${cache}`,
          "--to",
          store,
          "--option",
          "trusted-public-keys",
          trusted,
          "--option",
          "require-sigs",
          "true",
          ...inputAddressed,
        ],
        { encoding: "utf8" },
      );
    const refused = copyInto(join(dir, "store-refused"), nixPublic);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("lacks a valid signature");
    const accepted = copyInto(join(dir, "store-accepted"), formatPublicKey(publicKeyOf(ours)));
    expect(accepted.stderr).not.toContain("error");
    expect(accepted.status).toBe(0);
    const stored = readdirSync(join(dir, "store-accepted", "nix", "store"));
    for (const p of inputAddressed) expect(stored).toContain(p.slice("/nix/store/".length));
  });

  it("Nix reads the narinfos we print with quirks (hex hashes, odd order, unknown fields, unknown-deriver) as we do", () => {
    const ours = generateSecretKey("nix-compat-quirks-1");
    const cache = join(dir, "quirky");
    nix(["copy", "--to", `file://${cache}`, ...closure]);
    for (const [name, text] of narinfosIn(cache)) {
      const info = parseNarInfo(text);
      const signed = signNarInfo({ ...info, signatures: [] }, ours);
      const lines = printNarInfo(signed).trimEnd().split("\n").reverse();
      lines.splice(2, 0, "X-Nix-Compat: kept in place");
      if (info.deriver === undefined) lines.push("Deriver: unknown-deriver");
      const quirky = parseNarInfo(`${lines.join("\n")}\n`);
      const withHex: typeof quirky = {
        ...quirky,
        quirks: { ...quirky.quirks, narHashEncoding: "base16", fileHashEncoding: "base16" },
      };
      const out = printNarInfo(withHex);
      expect(out).toMatch(/NarHash: sha256:[0-9a-f]{64}\n/);
      expect(parseNarInfo(out)).toEqual(withHex);
      writeFileSync(join(cache, name), out);
    }
    const fromNix = Nix28PathInfoListJson.parse(
      JSON.parse(nix(["path-info", "--json", "--store", `file://${cache}`, ...closure])),
    );
    for (const [, text] of narinfosIn(cache)) {
      const info = parseNarInfo(text);
      const mine = narInfoToNix28PathInfoJson(info);
      expect(fromNix).toContainEqual(mine);
    }
    const inputAddressed = closure.filter((p) => p.includes("-mid-") || p.includes("-closure-"));
    const r = spawnSync(
      "nix",
      [
        "copy",
        "--from",
        `file://${cache}`,
        "--to",
        join(dir, "store-quirky"),
        "--option",
        "trusted-public-keys",
        formatPublicKey(publicKeyOf(ours)),
        "--option",
        "require-sigs",
        "true",
        ...inputAddressed,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).not.toContain("error");
    expect(r.status).toBe(0);
  });

  it("keys from `nix key generate-secret` and from ours are interchangeable", () => {
    // Nix's key read by us
    const nixSecret = parseSecretKey(readFileSync(nixSecretFile, "utf8"));
    expect(formatPublicKey(publicKeyOf(nixSecret))).toBe(nixPublic);
    const cli = runCli(["key", "convert-secret-to-public"], { input: readFileSync(nixSecretFile) });
    expect(cli.status).toBe(0);
    expect(cli.stdoutText).toBe(nixPublic);
    // our key read by Nix, used by `nix store sign`, checked by us
    const gen = runCli(["key", "generate-secret", "--key-name", "ours-2"]);
    expect(gen.status).toBe(0);
    expect(gen.stdoutText).toMatch(/^ours-2:[A-Za-z0-9+/]{86}==$/);
    const oursFile = join(dir, "ours2.sk");
    writeFileSync(oursFile, gen.stdoutText);
    const pub = nix(["key", "convert-secret-to-public"], { input: gen.stdoutText });
    expect(pub).toBe(formatPublicKey(publicKeyOf(parseSecretKey(gen.stdoutText))));
    nix(["store", "sign", "-k", oursFile, out]);
    const cache = join(dir, "ours2-cache");
    mkdirSync(cache, { recursive: true });
    nix(["copy", "--to", `file://${cache}`, out]);
    const text = readFileSync(
      join(cache, `${out.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`),
      "utf8",
    );
    const info = parseNarInfo(text);
    expect(info.signatures.map((s) => s.keyName)).toContain("ours-2");
    expect(verifyNarInfo(info, [parsePublicKey(pub)])).toBe(true);
  });
});
