/**
 * The README's TypeScript is real: every ```ts block of README.md is compiled with
 * `tsc --strict` in a consumer project that installed the packed package, and run with the
 * bundled `examples/` in its working directory. The daemon block runs against a private
 * `nix-daemon` (with real Nix; skipped visibly without it). Convention (docs/CONTRIBUTING.md):
 * each block is a complete ES module, nothing is prepended. What runs is the block with its
 * claims checked: a call statement commented with a string, `f(x); // "value"`, must return
 * that string (a prefix when the comment ends in `...`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchNarInfo, openBinaryCache } from "../../src/cache/binary-cache.js";
import { fetchNar } from "../../src/cache/checked-nar.js";
import { parsePublicKey } from "../../src/signing/keys.js";
import { type TestDaemon, startNixDaemon } from "../support/daemon.js";
import { REPO_ROOT } from "../support/fixtures.js";
import { describeWithNix, runNix } from "../support/nix.js";
import { startWorker, type TestWorker } from "../support/workerd.js";
import {
  type ConsumerProject,
  createConsumerProject,
  packRepository,
} from "../support/packed-package.js";

/** A fenced block of the README. */
interface ReadmeBlock {
  /** 1-based line of its opening fence. */
  readonly line: number;
  /** Its text. */
  readonly code: string;
  /** File name of the block in the consumer project (without extension). */
  readonly name: string;
}

/** Every ```ts block of `markdown`. */
function typescriptBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unterminated code block`);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n"), name: `line-${i + 1}` });
    i = end;
  }
  return blocks;
}

/** A call statement commented with the string it returns. */
const CLAIM = /^(\s*)([A-Za-z_$][\w$]*\(.*\));\s*\/\/\s*"([^"]*)"\s*$/;

/** The block with each {@link CLAIM} line turned into a check that throws when it is false. */
function withClaimsChecked(code: string): { code: string; claims: number } {
  let claims = 0;
  const lines = code.split("\n").map((line) => {
    const m = CLAIM.exec(line);
    if (m === null) return line;
    claims++;
    const [, indent, call, claim] = m as unknown as [string, string, string, string];
    const prefix = claim.endsWith("...");
    const want = JSON.stringify(prefix ? claim.slice(0, -3) : claim);
    const ok = prefix ? `String(got).startsWith(${want})` : `got === ${want}`;
    const what = JSON.stringify(`${call} is not ${claim}: `);
    return `${indent}{ const got: unknown = ${call}; if (!(${ok})) throw new Error(${what} + String(got)); }`;
  });
  return { code: lines.join("\n"), claims };
}

const BLOCKS = typescriptBlocks(readFileSync(join(REPO_ROOT, "README.md"), "utf8"));
/** Blocks that talk to real Nix (the daemon, or `nix-store --serve`) about examples/hello. */
const needsDaemon = (b: ReadmeBlock) =>
  b.code.includes('"nix-compat/daemon/node"') || b.code.includes('"nix-compat/serve/node"');

/** A Worker (`export default { fetch }`): compiled like the others, run in workerd. */
const isWorker = (b: ReadmeBlock) => /^export default \{$/m.test(b.code);

/** `tsc --strict` of every block at once; resolving on emit. */
const TSC_TIMEOUT_MS = 180_000;

let packDir: string;
let consumer: ConsumerProject;
let workDir: string;
let compiled: { status: number | null; output: string } | undefined;

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), "nix-compat-pack-"));
  consumer = createConsumerProject(packRepository(packDir), ["@types/node"]);
  for (const b of BLOCKS) {
    consumer.write(`readme/${b.name}.ts`, `${b.code}\n`);
    consumer.write(`readme/${b.name}.checked.ts`, `${withClaimsChecked(b.code).code}\n`);
  }
  consumer.write(
    "tsconfig.json",
    JSON.stringify({
      compilerOptions: {
        strict: true,
        // the shipped declarations are checked by consumer-types.test.ts
        skipLibCheck: true,
        target: "ES2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["ES2022"],
        types: ["node"],
        rootDir: "readme",
        outDir: "out",
      },
      include: ["readme"],
    }),
  );
  workDir = mkdtempSync(join(tmpdir(), "nix-compat-readme-run-"));
  symlinkSync(join(REPO_ROOT, "examples"), join(workDir, "examples"), "dir");
});

afterAll(() => {
  consumer?.remove();
  for (const d of [packDir, workDir]) if (d) rmSync(d, { recursive: true, force: true });
});

function compile(): { status: number | null; output: string } {
  compiled ??= consumer.tsc(["-p", "tsconfig.json"]);
  return compiled;
}

/** Runs a compiled block, its claims checked, with `examples/` in its working directory. */
function run(b: ReadmeBlock, env: Record<string, string> = {}) {
  expect(compile().status).toBe(0);
  const r = spawnSync(process.execPath, [join(consumer.dir, "out", `${b.name}.checked.js`)], {
    cwd: workDir,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("README.md's TypeScript blocks", () => {
  it("there are some, each an ES module importing the package", () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(6);
    for (const b of BLOCKS) expect(b.code, `README.md:${b.line}`).toMatch(/from "nix-compat/);
  });

  it('state results that are checked (f(x); // "value")', () => {
    const claims = BLOCKS.reduce((n, b) => n + withClaimsChecked(b.code).claims, 0);
    expect(claims).toBeGreaterThanOrEqual(4);
  });

  it(
    "compile with tsc --strict against the packed package",
    () => {
      const r = compile();
      expect(r.output).toBe("");
      expect(r.status).toBe(0);
    },
    TSC_TIMEOUT_MS,
  );

  for (const b of BLOCKS.filter((x) => !needsDaemon(x) && !isWorker(x))) {
    it(
      `README.md:${b.line} runs`,
      () => {
        const r = run(b);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
      },
      TSC_TIMEOUT_MS,
    );
  }
});

describeWithNix("README.md's daemon and serve blocks", () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startNixDaemon();
    runNix("nix-store", ["--add", join(REPO_ROOT, "examples", "hello")]);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  for (const b of BLOCKS.filter(needsDaemon)) {
    it(
      `README.md:${b.line} runs against nix-daemon`,
      () => {
        const r = run(b, { NIX_DAEMON_SOCKET_PATH: daemon.socket });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("sha256-");
      },
      TSC_TIMEOUT_MS,
    );
  }
});

describe("README.md's Worker block and wrangler.toml", () => {
  const worker = BLOCKS.find(isWorker);
  const toml = /```toml\n([^]*?)\n```/.exec(
    readFileSync(join(REPO_ROOT, "README.md"), "utf8"),
  )?.[1];
  let running: TestWorker | undefined;
  afterAll(async () => {
    await running?.mf.dispose();
  });

  it("wrangler.toml binds the bucket the Worker uses, and names worker.ts", () => {
    expect(worker?.code).toMatch(/\bBUCKET: R2BucketLike;/);
    expect(toml).toMatch(/^main = "worker\.ts"$/m);
    expect(toml).toMatch(/^\[\[r2_buckets\]\]\nbinding = "BUCKET"$/m);
  });

  it(
    "runs in workerd with an R2 bucket: takes examples/cache's xz NAR (decoded to check it) and serves it signed",
    async () => {
      expect(compile().status).toBe(0);
      const examples = join(REPO_ROOT, "examples");
      running = await startWorker(join(consumer.dir, "out", `${worker!.name}.js`), {
        r2Buckets: ["BUCKET"],
        bindings: {
          SECRET_KEY: readFileSync(join(examples, "keys", "demo.secret"), "utf8").trim(),
          PUSH_TOKEN: "readme-token",
        },
        repositoryPackage: false,
      });
      const put = (file: string, authorization?: string) =>
        fetch(`${running!.url}/${file}`, {
          method: "PUT",
          body: readFileSync(join(examples, "cache", file)),
          headers: authorization === undefined ? {} : { authorization },
        });
      expect((await put("nix-cache-info")).status).toBe(405);
      expect((await put("nix-cache-info", `Basic ${btoa("nix:readme-token")}`)).status).toBe(204);
      const hashPart = "190gmvjd4sd37wbrmcld6dhfjasdraga";
      const nar = readdirSync(join(examples, "cache", "nar"))[0]!;
      expect(nar).toMatch(/\.nar\.xz$/);
      // Nix's order: the NAR, its listing, the narinfo (which the Worker checks the NAR against)
      for (const file of [`nar/${nar}`, `${hashPart}.ls`, `${hashPart}.narinfo`]) {
        const res = await put(file, "Bearer readme-token");
        expect(`${file}: ${res.status} ${await res.text()}`).toBe(`${file}: 204 `);
      }
      const cache = openBinaryCache(running.url, {
        trustedKeys: [
          parsePublicKey(readFileSync(join(examples, "keys", "demo.public"), "utf8").trim()),
        ],
      });
      const info = (await fetchNarInfo(cache, hashPart))!;
      let size = 0;
      for await (const chunk of fetchNar(cache, info)) size += chunk.length;
      expect(size).toBe(info.narSize);
    },
    TSC_TIMEOUT_MS,
  );
});
