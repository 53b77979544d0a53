/**
 * Issue 14: every command of `docs/cli.md`, given invalid input of every kind, answers with
 * `error: ...` on stderr and exit 1 or 2: never a stack trace, never an error line that
 * repeats a huge input whole. Runs the CLI in-process (test/support/cli-inprocess.ts); the
 * commands that read descriptor 0 synchronously (`nar restore`) are spawned, a few times.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { contractBreach, runCliInProcess } from "../support/cli-inprocess.js";
import { fixturePath } from "../support/fixtures.js";

const OK_DRV = fixturePath("derivation", "ok", "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv");
const NAR = fixturePath("nar", "complicated.nar");
/** A digest of 1 MB: no error line may carry it whole. */
const HUGE = "a".repeat(1 << 20);
/** The longest stderr line a hostile run may print. */
const MAX_LINE = 2000;

let dir = "";
const files: Record<string, string> = {};

/** A temporary file holding `content`, named `name`. */
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  files[name] = path;
  return path;
}

/** Hostile file contents of every kind, each written once. */
function hostileFiles(): Record<string, string> {
  const junk = new Uint8Array(512);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  const drv =
    'Derive([("out","/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo","","")],[],[],"x","b",[],[("name","foo"),("out","/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo")])';
  const bare = {
    outputs: { out: { path: "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo" } },
    inputSrcs: [],
    inputDrvs: {},
    system: "x",
    builder: "b",
    args: [],
    env: { name: "foo", out: "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo" },
  };
  return {
    empty: file("empty", ""),
    junk: file("junk.bin", junk),
    "bad JSON": file("bad.json", '{"outputs": {'),
    "JSON array": file("array.json", "[1,2,3]"),
    "JSON of the wrong shape": file("shape.json", '{"outputs": 3}'),
    "JSON with wrong types": file("types.json", JSON.stringify({ ...bare, args: "x", env: [] })),
    "JSON with a bad hash": file(
      "hash.json",
      JSON.stringify({
        ...bare,
        outputs: {
          out: {
            path: "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo",
            hashAlgo: "sha256",
            hash: HUGE,
          },
        },
      }),
    ),
    "JSON with a bad input key": file(
      "key.json",
      JSON.stringify({ ...bare, inputDrvs: { "not-a-path": ["out"], [HUGE]: ["out"] } }),
    ),
    "JSON with a bad output path": file(
      "path.json",
      JSON.stringify({ ...bare, outputs: { out: { path: `/nix/store/${HUGE}` } } }),
    ),
    "truncated ATerm": file("trunc.drv", drv.slice(0, 60)),
    // (bytes after the final ')' are read as Nix 2.8 reads them, a quirk: not hostile)
    "ATerm with junk for its final ')'": file("trail.drv", `${drv.slice(0, -1)}xyz`),
    "ATerm with a bad store path": file("badpath.drv", drv.replaceAll("5vyv", "!!!!")),
    "ATerm with a huge hash": file("hugehash.drv", drv.replace('"",""', `"sha256","${HUGE}"`)),
    "ATerm with a missing input": file(
      "missing-input.drv",
      drv.replace(
        "[],[],",
        '[("/nix/store/0hm2f1psjpcwg8fijsmr4wwxrx59s092-absent.drv",["out"])],[],',
      ),
    ),
    "narinfo junk": file("junk.narinfo", "StorePath: nope\nNarHash: x\n"),
    "narinfo with a huge hash": file(
      "huge.narinfo",
      `StorePath: /nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf\nURL: nar/x.nar\nCompression: none\nNarHash: sha256:${HUGE}\nNarSize: 1\nReferences: \n`,
    ),
    "truncated NAR": file("trunc.nar", new Uint8Array(40)),
  };
}

/** Invalid store paths and hashes given as arguments. */
const BAD_ARGS = ["", "x", "/nix/store/abc", `/nix/store/${HUGE}`, `sha256:${HUGE}`, "sha256-!!"];

describe("every CLI command refuses hostile input with 'error:' and exit 1 or 2", () => {
  const inputs: Record<string, string> = {};
  beforeAll(() => {
    dir = join(
      process.env.TMPDIR ?? "/tmp",
      `nix-compat-hostile-${process.pid}-${Date.now().toString(36)}`,
    );
    mkdirSync(dir, { recursive: true });
    Object.assign(inputs, hostileFiles());
    inputs["missing file"] = join(dir, "does-not-exist");
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every command line to try: each command with each kind of input that fits it. */
  function commandLines(): { args: string[]; input?: string | Uint8Array }[] {
    const socket = `unix://${join(dir, "no-socket")}`;
    const lines: { args: string[]; input?: string | Uint8Array }[] = [];
    for (const [what, f] of Object.entries(inputs)) {
      // a derivation whose input is missing is fine until its inputs are needed
      const commands =
        what === "ATerm with a missing input"
          ? ["hash-modulo", "output-paths"]
          : ["show", "validate", "aterm", "path", "hash-modulo", "output-paths"];
      for (const cmd of commands) lines.push({ args: ["derivation", cmd, f] });
      for (const cmd of ["show", "fingerprint"]) lines.push({ args: ["narinfo", cmd, f] });
      lines.push({ args: ["narinfo", "verify", "--key", "k:AAAA", f] });
      lines.push({ args: ["narinfo", "sign", "--key-file", f, files["huge.narinfo"]!] });
      lines.push({ args: ["nar", "ls", f, "/"] });
      lines.push({ args: ["nar", "cat", f, "/x"] });
      lines.push({ args: ["import-paths", f] });
      if (what !== "ATerm with a missing input") {
        lines.push({ args: ["derivation", "show", "-"], input: f });
      }
      lines.push({ args: ["key", "convert-secret-to-public"], input: f });
    }
    for (const cmd of ["show", "validate", "aterm", "path", "hash-modulo", "output-paths"]) {
      lines.push({ args: ["derivation", cmd, "-"], input: "" });
      lines.push({ args: ["derivation", cmd, "-"], input: "{" });
    }
    for (const bad of BAD_ARGS) {
      for (const to of ["to-base16", "to-base32", "to-base64", "to-sri"]) {
        lines.push({ args: ["hash", to, bad] });
        lines.push({ args: ["hash", to, "--type", "sha256", bad] });
      }
      lines.push({ args: ["daemon", "path-info", "--store", socket, bad] });
      lines.push({ args: ["daemon", "is-valid", "--store", socket, bad] });
      lines.push({ args: ["daemon", "dump-path", "--store", socket, bad] });
      lines.push({ args: ["export-paths", "--store", socket, bad] });
      lines.push({ args: ["narinfo", "verify", "--key", bad, OK_DRV] });
      lines.push({ args: ["key", "convert-secret-to-public"], input: bad });
    }
    const missing = inputs["missing file"]!;
    lines.push(
      { args: ["hash", "path", missing] },
      { args: ["hash", "file", missing] },
      { args: ["hash", "path", "--type", "sha3", OK_DRV] },
      { args: ["hash", "to-sri", "--type", "nope", "abc"] },
      { args: ["store-path", "add", missing] },
      { args: ["store-path", "add", "--name", "bad/name", OK_DRV] },
      { args: ["store-path", "add", "--name", HUGE, OK_DRV] },
      { args: ["store-path", "add", "--flat", dir] },
      { args: ["store-path", "add", "--type", "sha3", OK_DRV] },
      { args: ["nar", "dump-path", missing] },
      { args: ["nar", "ls", NAR, "/no/such/entry"] },
      { args: ["nar", "cat", NAR, "/"] },
      {
        args: [
          "daemon",
          "path-info",
          "--store",
          socket,
          "/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-x",
        ],
      },
      {
        args: [
          "daemon",
          "path-info",
          "--store",
          "http://x",
          "/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-x",
        ],
      },
      { args: ["derivation", "show", "--json-version", "7", OK_DRV] },
      { args: ["derivation", "frobnicate"] },
      { args: ["no-such-command"] },
      { args: ["key", "generate-secret", "--key-name", ""] },
      { args: ["key", "generate-secret", "--key-name", "a:b"] },
      { args: ["key", "generate-secret", "--key-name", `a\n${HUGE}`] },
    );
    return lines;
  }

  it("in-process: every command, every kind of input", async () => {
    const breaches: string[] = [];
    for (const line of commandLines()) {
      // an input that names one of the hostile files stands for its content
      const input =
        typeof line.input === "string" && Object.values(inputs).includes(line.input)
          ? existsSync(line.input)
            ? readFileSync(line.input)
            : ""
          : line.input;
      const r = await runCliInProcess(line.args, { input, timeoutMs: 20_000 });
      const label = line.args.map((a) => (a.length > 60 ? `${a.slice(0, 20)}...` : a)).join(" ");
      const breach = contractBreach(r);
      if (breach !== undefined) breaches.push(`${label}: ${breach}: ${r.stderr.slice(0, 300)}`);
      const long = r.stderr.split("\n").find((l) => l.length > MAX_LINE);
      if (long !== undefined) breaches.push(`${label}: a ${long.length}-character error line`);
    }
    expect(breaches).toEqual([]);
  }, 240_000);

  it("spawned: nar restore of junk, and the real executable's exit status", () => {
    const dest = join(dir, "restored");
    for (const input of [new Uint8Array(0), new Uint8Array(40), Buffer.from("nix-archive-1")]) {
      const r = runCli(["nar", "restore", dest], { input });
      expect(contractBreach(r), r.stderr).toBeUndefined();
    }
    const r = runCli(["derivation", "aterm", files["shape.json"]!]);
    expect(contractBreach(r), r.stderr).toBeUndefined();
    expect(r.status).toBe(1);
  });
});
