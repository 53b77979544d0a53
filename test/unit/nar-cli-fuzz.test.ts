/**
 * A bounded, seeded fuzz test of the NAR commands (issue 14): mutated NARs (bit flips, cuts,
 * splices, hostile lengths, inserted bytes) through `nar ls`, `nar ls -R --json`, `nar cat` and
 * `nar restore` (whose output `nar dump-path` then reads back). Every run must end with exit 0
 * or an `error:` line and exit 1, never a stack trace, within a time bound and an RSS bound.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { u64Bytes, utf8Bytes } from "../../src/codecs/wire-bytes.js";
import { encodeNar, type NarNode } from "../../src/nar/index.js";
import { CLI_PATH } from "../support/cli.js";

/** Mutated NARs per command. */
const RUNS = 5;
/** Seconds a run may take (a hang fails the test). */
const TIME_LIMIT_S = 20;
/** Peak RSS a run may reach, in MB (`/usr/bin/time` measures it when present). */
const RSS_LIMIT_MB = 300;
const TIME = "/usr/bin/time";

const file = (s: string | Uint8Array, executable = false): NarNode => ({
  type: "regular",
  executable,
  contents: typeof s === "string" ? utf8Bytes(s) : s,
});
const base = encodeNar({
  type: "directory",
  entries: [
    { name: "a", node: file("hello\n") },
    {
      name: "bin",
      node: { type: "directory", entries: [{ name: "run", node: file("#!/bin/sh\n", true) }] },
    },
    { name: "big", node: file(new Uint8Array(100_000).fill(0x61)) },
    { name: "link", node: { type: "symlink", target: "a" } },
  ],
});

/** One damage to a NAR. */
const arbMutation = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("splice" as const),
    from: fc.nat(),
    len: fc.integer({ min: 1, max: 300 }),
    to: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("length" as const),
    at: fc.nat(),
    value: fc.constantFrom(2 ** 31, 2 ** 40, 2 ** 53, 2 ** 62, 0xffff_ffff_ffff, 4096, 256),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);
type Mutation = typeof arbMutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(nar: Uint8Array, m: Mutation): Uint8Array {
  const b = Buffer.from(nar);
  switch (m.kind) {
    case "flip": {
      const at = m.at % b.length;
      b[at]! ^= 1 << m.bit;
      return b;
    }
    case "cut":
      return b.subarray(0, m.at % b.length);
    case "splice": {
      const from = m.from % b.length;
      const to = m.to % b.length;
      return Buffer.concat([b.subarray(0, to), b.subarray(from, from + m.len), b.subarray(to)]);
    }
    case "length": {
      // a u64 at an 8-aligned offset: lengths of strings and payloads live there
      const at = (m.at % (b.length >> 3)) << 3;
      b.set(u64Bytes(BigInt(m.value)), at);
      return b;
    }
    case "insert": {
      const at = m.at % b.length;
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), "nix-compat-nar-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasTime = existsSync(TIME);

/** Runs the CLI; checks exit status, stderr, time and RSS; returns the result. */
function run(args: string[], input?: Uint8Array) {
  const rssFile = join(dir, "rss");
  const cmd = hasTime ? TIME : process.execPath;
  const argv = hasTime
    ? ["-f", "%M", "-o", rssFile, process.execPath, CLI_PATH, ...args]
    : [CLI_PATH, ...args];
  const r = spawnSync(cmd, argv, { input, timeout: TIME_LIMIT_S * 1000, maxBuffer: 1 << 28 });
  const stderr = r.stderr.toString("utf8");
  const what = `${args.join(" ")}: status ${r.status}, stderr ${JSON.stringify(stderr.slice(0, 400))}`;
  expect(r.signal, what).toBeNull();
  expect([0, 1], what).toContain(r.status);
  expect(stderr, what).not.toMatch(
    /\n\s+at |internal error|TypeError|RangeError|Maximum call stack/,
  );
  if (r.status !== 0) expect(stderr, what).toMatch(/^error: /);
  if (hasTime) {
    const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
    expect(kb / 1024, `${what}: RSS`).toBeLessThan(RSS_LIMIT_MB);
  }
  return r;
}

describe("NAR commands on mutated NARs (seeded)", () => {
  const samples = fc.sample(arbMutation, { seed: 14, numRuns: RUNS * 4 });
  const nars = samples.map((m) => mutate(base, m));

  it("the base NAR is read by every command", () => {
    const f = join(dir, "base.nar");
    writeFileSync(f, base);
    expect(run(["nar", "ls", "-R", f, "/"]).status).toBe(0);
    expect(run(["nar", "cat", f, "/a"]).stdout.toString()).toBe("hello\n");
  });

  it("nar ls -R and nar ls --json", () => {
    nars.slice(0, RUNS).forEach((nar, i) => {
      const f = join(dir, `ls-${i}.nar`);
      writeFileSync(f, nar);
      run(["nar", "ls", "-R", "-l", f, "/"]);
      run(["nar", "ls", "-R", "--json", "-", "/bin"], nar);
    });
  });

  it("nar cat (damage before or after the file: exit 1 either way)", () => {
    nars.slice(RUNS, 2 * RUNS).forEach((nar, i) => {
      const f = join(dir, `cat-${i}.nar`);
      writeFileSync(f, nar);
      run(["nar", "cat", f, "/big"]);
      run(["nar", "cat", "-", "/a"], nar);
    });
  });

  it("nar restore, and dump-path of what it restored is the NAR it read", () => {
    nars.slice(2 * RUNS, 4 * RUNS).forEach((nar, i) => {
      const out = join(dir, `restored-${i}`);
      const r = run(["nar", "restore", out], nar);
      if (r.status === 0) {
        const dumped = run(["nar", "dump-path", out]);
        expect(dumped.stdout.equals(Buffer.from(nar))).toBe(true);
      }
    });
  });
});
