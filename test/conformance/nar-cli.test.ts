import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listNar } from "../../src/nar/listing.js";
import { CLI_PATH, runCli } from "../support/cli.js";
import { snapshot } from "../support/nar-fs.js";
import { describeWithNix, runNix, runNixBytes } from "../support/nix.js";
import { fixturePath } from "../support/fixtures.js";

let dir: string;
let tree: string;
let nar: string;
let narBytes: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nix-compat-nar-cli-"));
  tree = join(dir, "tree");
  mkdirSync(tree);
  // names whose JavaScript order differs from their byte order, spaces, dots
  for (const name of ["ｚ", "😀", "a b", ".hidden", "é", "Z"])
    writeFileSync(join(tree, name), name);
  for (const size of [0, 1, 7, 8, 9, 4096, 100_003])
    writeFileSync(join(tree, `size-${size}`), Buffer.alloc(size, 0x61));
  writeFileSync(join(tree, "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  symlinkSync("/nix/store/does-not-exist", join(tree, "abs-dangling"));
  symlinkSync("size-7", join(tree, "rel"));
  mkdirSync(join(tree, "empty"));
  let deep = join(tree, "deep");
  for (let i = 0; i < 40; i++) deep = join(deep, `d${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "leaf"), "deep\n");
  nar = join(dir, "tree.nar");
  narBytes = runCli(["nar", "dump-path", tree]).stdout;
  writeFileSync(nar, narBytes);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nar CLI (no Nix needed)", () => {
  it("restore refuses an existing destination and reports damaged input with its offset", () => {
    const dest = join(dir, "exists");
    mkdirSync(dest);
    const r = runCli(["nar", "restore", dest], { input: narBytes });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
    const bad = Buffer.from(narBytes.subarray(0, 1000));
    const dest2 = join(dir, "partial");
    const r2 = runCli(["nar", "restore", dest2], { input: bad });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/^error: .*byte \d+.*input ended early.*left incomplete/s);
    const r3 = runCli(["nar", "ls", "-", "/"], { input: Buffer.from("hello") });
    expect(r3.status).toBe(1);
    expect(r3.stderr).toMatch(/^error: byte 0, in nar\.magic/);
  });

  it("upstream malformed NARs are rejected by nar ls", () => {
    const f = fixturePath("nix-upstream", "libutil", "nars", "slash.nar");
    if (!existsSync(f)) return;
    const r = runCli(["nar", "ls", "-R", f, "/"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("invalid file name");
  });

  it("the plain forms (commands/plain-forms.ts) print what the full command tree prints", () => {
    // `--` before the paths sends the same command through commander
    for (const [cmd, opts, paths] of [
      [["nar", "dump-path"], [], [tree]],
      [["hash", "path"], [], [tree]],
      [
        ["hash", "path"],
        ["--type", "sha512", "--base32"],
        [tree, join(tree, "run.sh")],
      ],
      [["hash", "path"], ["--base16", "--type", "md5"], [tree]],
      [["hash", "file"], [], [join(tree, "run.sh")]],
      [
        ["hash", "file"],
        ["--type", "sha1", "--base64"],
        [join(tree, "run.sh"), join(tree, "run.sh")],
      ],
    ]) {
      const fast = runCli([...cmd!, ...opts!, ...paths!]);
      const full = runCli([...cmd!, ...opts!, "--", ...paths!]);
      expect(fast.stderr).toBe("");
      expect(full.stderr).toBe("");
      expect(fast.stdout.length).toBeGreaterThan(0);
      expect(fast.stdout.equals(full.stdout)).toBe(true);
    }
    const missing = join(dir, "missing");
    for (const cmd of [
      ["nar", "dump-path"],
      ["hash", "path"],
      ["hash", "file"],
    ]) {
      const fast = runCli([...cmd, missing]);
      expect(fast.status).toBe(1);
      expect(fast.stderr).toBe(runCli([...cmd, "--", missing]).stderr);
    }
  });

  it("--help works for every command; bad usage exits 2", () => {
    for (const c of ["dump-path", "restore", "ls", "cat"])
      expect(runCli(["nar", c, "--help"]).status).toBe(0);
    expect(runCli(["nar", "ls", nar]).status).toBe(2);
  });
});

describeWithNix("nar CLI against Nix", () => {
  it("dump-path is byte-identical to nix-store --dump (directory, file, symlink roots)", () => {
    expect(narBytes.equals(runNixBytes("nix-store", ["--dump", tree]))).toBe(true);
    for (const p of ["run.sh", "size-9", "rel", "abs-dangling", "empty"]) {
      expect(
        runCli(["nar", "dump-path", join(tree, p)]).stdout.equals(
          runNixBytes("nix-store", ["--dump", join(tree, p)]),
        ),
      ).toBe(true);
    }
  });

  it("restore gives what nix-store --restore gives", () => {
    const ours = join(dir, "r-ours");
    const theirs = join(dir, "r-nix");
    expect(runCli(["nar", "restore", ours], { input: narBytes }).status).toBe(0);
    runNix("nix-store", ["--restore", theirs], { input: narBytes });
    expect(snapshot(ours)).toEqual(snapshot(theirs));
  });

  it("ls prints what nix nar ls prints (-R, --json, -l, file paths, missing paths)", () => {
    const cases = [["-R", "--json"], ["--json"], ["-R"], ["-R", "-l"], ["-d"]];
    for (const flags of cases) {
      const paths =
        flags.length === 1 && flags[0] === "--json"
          ? ["/", "", "/deep/d0", "/run.sh", "/rel", "/empty", "/ｚ"]
          : ["/", "/rel"];
      for (const path of paths) {
        const ours = runCli(["nar", "ls", ...flags, nar, path]);
        expect(ours.status).toBe(0);
        expect(ours.stdout.equals(runNixBytes("nix", ["nar", "ls", ...flags, nar, path]))).toBe(
          true,
        );
      }
    }
    for (const path of ["/nope", "/deep/d0/", "//deep", "/./deep", "/run.sh/x"]) {
      const missing = runCli(["nar", "ls", nar, path]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(`error: path '${path}' does not exist\n`);
    }
    expect(runCli(["nar", "ls", nar, "deep"]).stderr).toBe("error: not an absolute path: 'deep'\n");
    expect(runCli(["nar", "ls", "--json", "-", "/"], { input: narBytes }).stdoutText).toBe(
      runNix("nix", ["nar", "ls", "--json", nar, "/"]),
    );
  });

  it("cat prints what nix nar cat prints", () => {
    for (const path of [
      "/size-100003",
      "/size-0",
      "/run.sh",
      "/😀",
      `/deep/${Array.from({ length: 40 }, (_, i) => `d${i}`).join("/")}/leaf`,
    ]) {
      const ours = runCli(["nar", "cat", nar, path]);
      expect(ours.status).toBe(0);
      expect(ours.stdout.equals(runNixBytes("nix", ["nar", "cat", nar, path]))).toBe(true);
    }
    const dirCat = runCli(["nar", "cat", nar, "/empty"]);
    expect(dirCat.status).toBe(1);
    expect(dirCat.stderr).toBe("error: path '/empty' is not a regular file\n");
    expect(runCli(["nar", "cat", nar, ""]).stderr).toBe("error: path '' is not a regular file\n");
    for (const path of ["/nope", "/", "/run.sh/", "//run.sh"]) {
      const r = runCli(["nar", "cat", nar, path]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`error: path '${path}' does not exist\n`);
    }
  });
});

/** Bytes of a path made of ASCII and `\\xHH` escapes (names that are not UTF-8). */
const raw = (s: string): Buffer =>
  Buffer.from(
    s.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    "latin1",
  );

/** Runs a program with arguments given as bytes (spawn would encode strings as UTF-8). */
function runBytes(
  argv: readonly Buffer[],
  input?: Buffer,
): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const quoted = argv.map((_, i) => `"$(printf '%b' "$A${i}")"`).join(" ");
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  argv.forEach((a, i) => {
    env[`A${i}`] = [...a].map((b) => `\\0${b.toString(8).padStart(3, "0")}`).join("");
  });
  const r = spawnSync("sh", ["-c", `exec ${quoted}`], { env, input, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeWithNix("nar with names that are not UTF-8 (byte-exact, like Nix)", () => {
  let t: Buffer;
  let tnar: string;
  beforeAll(() => {
    t = raw(join(dir, "latin1"));
    mkdirSync(t);
    writeFileSync(raw(`${t.toString("latin1")}/caf\\xe9`), "latin1 name\n");
    writeFileSync(raw(`${t.toString("latin1")}/cafe`), "ascii\n");
    symlinkSync(raw("tg\\xff/\\xfe"), raw(`${t.toString("latin1")}/ln\\xfe`));
    mkdirSync(raw(`${t.toString("latin1")}/d\\x80`));
    writeFileSync(raw(`${t.toString("latin1")}/d\\x80/\\xc3\\x28x`), "inside\n", { mode: 0o755 });
    tnar = join(dir, "latin1.nar");
  });

  it("dump-path = nix-store --dump; restore of Nix's NAR recreates the exact bytes", () => {
    const ours = runCli(["nar", "dump-path", t.toString("latin1")]).stdout;
    // (the directory itself has an ASCII path: only the names inside are not UTF-8)
    const theirs = runNixBytes("nix-store", ["--dump", t.toString("latin1")]);
    expect(ours.equals(theirs)).toBe(true);
    writeFileSync(tnar, theirs);
    const dest = join(dir, "latin1-restored");
    expect(runCli(["nar", "restore", dest], { input: theirs }).status).toBe(0);
    expect(snapshot(dest)).toEqual(snapshot(t));
    expect(snapshot(t)).toContain("/caf\xe9 file 644 6c6174696e31206e616d650a");
    const byNix = join(dir, "latin1-by-nix");
    runNix("nix-store", ["--restore", byNix], { input: theirs });
    expect(snapshot(dest)).toEqual(snapshot(byNix));
  });

  it("ls prints the raw bytes as nix nar ls does (text and JSON); cat takes such paths", () => {
    for (const flags of [["-R"], ["-R", "--json"], ["-lR"], ["--json"]]) {
      const ours = runCli(["nar", "ls", ...flags, tnar, "/"]);
      expect(ours.status).toBe(0);
      expect(ours.stdout.equals(runNixBytes("nix", ["nar", "ls", ...flags, tnar, "/"]))).toBe(true);
    }
    for (const path of ["/caf\\xe9", "/d\\x80/\\xc3\\x28x"]) {
      const ours = runBytes([
        raw(process.execPath),
        raw(CLI_PATH),
        raw("nar"),
        raw("cat"),
        raw(tnar),
        raw(path),
      ]);
      const theirs = runBytes([raw("nix"), raw("nar"), raw("cat"), raw(tnar), raw(path)]);
      expect(ours.status).toBe(0);
      expect(ours.stdout.length).toBeGreaterThan(0);
      expect(ours.stdout.equals(theirs.stdout)).toBe(true);
      const ls = runBytes([
        raw(process.execPath),
        raw(CLI_PATH),
        raw("nar"),
        raw("ls"),
        raw("--json"),
        raw(tnar),
        raw(path),
      ]);
      expect(
        ls.stdout.equals(
          runBytes([raw("nix"), raw("nar"), raw("ls"), raw("--json"), raw(tnar), raw(path)]).stdout,
        ),
      ).toBe(true);
    }
  });

  it("dump-path, hash path and restore take such paths as arguments (fast and full forms)", () => {
    const file = raw(`${t.toString("latin1")}/caf\\xe9`);
    const nixDump = runBytes([raw("nix-store"), raw("--dump"), file]).stdout;
    expect(nixDump.length).toBeGreaterThan(0);
    for (const sep of [[], [raw("--")]]) {
      const ours = runBytes([
        raw(process.execPath),
        raw(CLI_PATH),
        raw("nar"),
        raw("dump-path"),
        ...sep,
        file,
      ]);
      expect(ours.stdout.equals(nixDump)).toBe(true);
      const hash = runBytes([
        raw(process.execPath),
        raw(CLI_PATH),
        raw("hash"),
        raw("path"),
        ...sep,
        file,
      ]);
      expect(hash.stdout.toString()).toBe(
        runBytes([raw("nix"), raw("hash"), raw("path"), file]).stdout.toString(),
      );
      expect(hash.stdout.length).toBeGreaterThan(0);
    }
    const dest = raw(join(dir, "restored-\\xff"));
    const r = runBytes(
      [raw(process.execPath), raw(CLI_PATH), raw("nar"), raw("restore"), dest],
      nixDump,
    );
    expect(r.status).toBe(0);
    expect(snapshot(dest)).toEqual(snapshot(file));
  });

  it("store-path add takes such a path (with --name: the name itself is no store path name)", () => {
    const file = raw(`${t.toString("latin1")}/caf\\xe9`);
    const ascii = join(dir, "cafe-copy");
    writeFileSync(ascii, readFileSync(file));
    for (const [flags, nixArgs] of [
      [[], ["--add-fixed", "--recursive", "sha256"]],
      [[raw("--flat")], ["--add-fixed", "sha256"]],
    ] as const) {
      const ours = runBytes([
        raw(process.execPath),
        raw(CLI_PATH),
        raw("store-path"),
        raw("add"),
        raw("--name"),
        raw("cafe-copy"),
        ...flags,
        file,
      ]);
      expect(ours.stdout.toString()).toBe(
        runBytes([raw("nix-store"), ...nixArgs.map((a) => raw(a)), raw(ascii)]).stdout.toString(),
      );
    }
    const noName = runBytes([
      raw(process.execPath),
      raw(CLI_PATH),
      raw("store-path"),
      raw("add"),
      file,
    ]);
    expect(noName.status).toBe(1);
    expect(noName.stderr.toString()).toMatch(/^error: .*store path name/);
  });

  it("listNar refuses such names in text mode (typed) and keeps their bytes in binary mode", async () => {
    const bytes = runCli(["nar", "dump-path", t.toString("latin1")]).stdout;
    await expect(listNar(bytes)).rejects.toMatchObject({ code: "nar.name-not-utf8" });
    const root = await listNar(bytes, { names: "binary" });
    expect(root.type === "directory" && Object.keys(root.entries).sort()).toEqual([
      "cafe",
      "caf\xe9",
      "d\x80",
      "ln\xfe",
    ]);
  });
});
