import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fixturePath } from "../support/fixtures.js";

const OK = () => fixturePath("derivation", "ok");
const drvs = () => readdirSync(OK()).filter((f) => f.endsWith(".drv"));

describe("nix-compat derivation (CLI)", () => {
  it("show prints Nix 2.8's JSON, raw bytes included; reads stdin", () => {
    const f = "m1vfixn8iprlf0v9abmlrz7mjw1xj8kp-cp1252.drv";
    const r = runCli(["derivation", "show", join(OK(), f)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString("latin1").trim()).toBe(
      readFileSync(join(OK(), `${f}.json`))
        .toString("latin1")
        .trim(),
    );
    const stdin = runCli(["derivation", "show", "-"], {
      input: readFileSync(join(OK(), drvs()[0]!)),
    });
    expect(stdin.status, stdin.stderr).toBe(0);
    expect(Object.keys(JSON.parse(stdin.stdoutText))).toEqual([`/nix/store/${drvs()[0]}`]);
    const v4 = runCli(["derivation", "show", "--json-version", "4", join(OK(), drvs()[0]!)]);
    expect(JSON.parse(v4.stdoutText).version).toBe(4);
  });

  it("show refuses JSON in a file named like a drv path, whatever the other inputs", () => {
    const dir = mkdtempSync(join(tmpdir(), "nix-compat-show-"));
    try {
      const json = join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv.json");
      const named = join(dir, "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv");
      copyFileSync(json, named);
      for (const args of [[named], [named, json], ["--json-version", "4", named]]) {
        const r = runCli(["derivation", "show", ...args]);
        expect(r.status, r.stdoutText).toBe(1);
        expect(r.stderr).toContain(`${named}: expected a .drv (ATerm) file`);
        expect(r.stderr).toContain("found JSON");
      }
      // the same JSON under its own name is read as JSON
      expect(runCli(["derivation", "show", json]).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("path, aterm, hash-modulo and output-paths", () => {
    for (const f of drvs()) {
      const p = runCli(["derivation", "path", join(OK(), f)]);
      expect(p.stdoutText, p.stderr).toBe(`/nix/store/${f}\n`);
    }
    const json = join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv.json");
    const a = runCli(["derivation", "aterm", json]);
    expect(
      a.stdout.equals(readFileSync(join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv"))),
    ).toBe(true);
    const p = runCli(["derivation", "path", json]);
    expect(p.stdoutText).toBe("/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv\n");
    // a .drv Nix would not have written so comes back as it is, or as Nix writes it
    const dir = mkdtempSync(join(tmpdir(), "nix-compat-aterm-"));
    try {
      const foo = readFileSync(join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv"));
      const odd = Buffer.concat([foo, Buffer.from("tail\n")]);
      const file = join(dir, "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv");
      writeFileSync(file, odd);
      expect(runCli(["derivation", "aterm", file]).stdout.equals(odd)).toBe(true);
      expect(runCli(["derivation", "aterm", "--canonical", file]).stdout.equals(foo)).toBe(true);
      // the drv path is the text hash of the actual bytes
      expect(runCli(["derivation", "path", file]).stdoutText).not.toBe(p.stdoutText);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const h = runCli([
      "derivation",
      "hash-modulo",
      join(OK(), "0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv"),
    ]);
    expect(h.stdoutText).toBe("724f3e3634fce4cbbbd3483287b8798588e80280660b9a63fd13a1bc90485b33\n");
    const o = runCli([
      "derivation",
      "output-paths",
      join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv"),
    ]);
    expect(o.status, o.stderr).toBe(0);
    expect(JSON.parse(o.stdoutText)).toEqual({
      out: "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo",
    });
  });

  it("validate: ok files, every problem with its JSON path, rejected .drv with byte offset", () => {
    const good = runCli([
      "derivation",
      "validate",
      join(OK(), "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv.json"),
    ]);
    expect(good.status, good.stderr).toBe(0);
    const bad = runCli(["derivation", "validate", "-"], {
      input: JSON.stringify({
        outputs: { out: { path: "x" } },
        inputSrcs: [1],
        inputDrvs: {},
        system: "",
        builder: "b",
        args: [],
        env: {},
      }),
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("$.outputs.out.path");
    expect(bad.stderr).toContain("$.inputSrcs[0]");
    const dup = runCli(["derivation", "validate", fixturePath("derivation", "duplicate.drv")]);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/duplicate.drv: byte \d+: duplicate environment variable 'name'/);
  });

  it("bad input exits 1 with a located message; bad usage exits 2", () => {
    const r = runCli(["derivation", "show", "-"], { input: 'Derive([("out"' });
    expect(r.status).toBe(1);
    // from the grammar: line and column, byte offset and the rule
    expect(r.stderr).toMatch(
      /^error: -: line 1:15, byte 14, in derivation\.outputs: unexpected end of input/,
    );
    expect(runCli(["derivation", "show"]).status).toBe(2);
    expect(runCli(["derivation", "show", "--json-version", "3", "-"], { input: "" }).status).toBe(
      2,
    );
  });
});
