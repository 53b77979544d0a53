import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import {
  computeOutputPathsSync,
  type Derivation,
  derivationPath,
  parseDerivationATerm,
  printDerivationATerm,
  printShowDerivationJson,
} from "../../src/derivation/index.js";
import { readDerivationJsonBytes } from "../../src/derivation/json.js";
import { type ATerm, parseATerm, printATerm } from "../../src/grammar/aterm.js";
import {
  arbDerivationAttrs,
  type DerivationAttrs,
  derivationAttrsSource,
  derivationAttrsToNix,
} from "../../src/testing/derivation.js";
import { runCli } from "../support/cli.js";
import { CONFORMANCE_RUNS, describeWithNix, runNixBytes, withTempDir } from "../support/nix.js";

const HASHES: Record<string, string> = {
  md5: "d41d8cd98f00b204e9800998ecf8427e",
  sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  sha512:
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
};

function base(name: string): DerivationAttrs {
  return {
    name,
    system: "x86_64-linux",
    args: [],
    env: [],
    outputs: ["out"],
    structuredAttrs: false,
    deps: [],
    srcs: [],
  };
}

/** Fixed cases: every algorithm flat and recursive, several outputs, structured attrs, escapes. */
function fixedCases(): DerivationAttrs[] {
  const out: DerivationAttrs[] = [];
  for (const algorithm of ["md5", "sha1", "sha256", "sha512"] as const) {
    for (const recursive of [false, true]) {
      out.push({
        ...base(`fod-${algorithm}-${recursive ? "r" : "f"}`),
        fixed: { algorithm, recursive, hex: HASHES[algorithm]! },
      });
    }
  }
  out.push({
    ...base("multi"),
    outputs: ["out", "dev", "lib"],
    env: [["e_x", 'a"b\\c\nd\te\r$ é 肥猪 🌮 \u0001\u007f']],
  });
  out.push({
    ...base("sa"),
    structuredAttrs: true,
    outputs: ["out", "bin"],
    env: [["e_j", '{"k": [1, "\\n"]}']],
  });
  out.push({
    ...base("chain"),
    deps: [
      {
        ...base("mid"),
        outputs: ["out", "dev"],
        deps: [
          { ...base("leaf"), fixed: { algorithm: "sha256", recursive: true, hex: HASHES.sha256! } },
        ],
      },
    ],
    srcs: ["hello\n", "second source"],
  });
  return out;
}

interface Case {
  attrs: DerivationAttrs | string;
  drvPath: string;
  bytes: Buffer;
  drv: Derivation;
}

const lookup = (p: string) => parseDerivationATerm(readFileSync(p));

describeWithNix("derivations agree with nix-instantiate and nix show-derivation", () => {
  const cases: Case[] = [];

  beforeAll(() => {
    const seed = Number(process.env.NIX_COMPAT_SEED ?? Date.now() % 1_000_000);
    const random = fc.sample(arbDerivationAttrs(2), { numRuns: CONFORMANCE_RUNS, seed });
    const all: (DerivationAttrs | string)[] = [...fixedCases(), ...random];
    withTempDir((dir) => {
      const parts = all.map((a) => (typeof a === "string" ? a : derivationAttrsToNix(a)));
      // one latin1 value, as raw bytes in the Nix source
      const latin1 = Buffer.concat([
        Buffer.from(
          '(builtins.derivation { name = "latin1"; system = "x86_64-linux"; builder = "/bin/sh"; chars = "',
        ),
        Buffer.from([0xc5, 0xc4, 0xd6]),
        Buffer.from('"; })'),
      ]);
      const file = join(dir, "all.nix");
      // raw bytes in the attributes are lone surrogates in the text: written as those bytes
      writeFileSync(
        file,
        Buffer.concat([
          derivationAttrsSource(`[ ${parts.join("\n")}\n`),
          latin1,
          Buffer.from(" ]"),
        ]),
      );
      const paths = runNixBytes("nix-instantiate", [file], { env: { NIX_PATH: "" } })
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => l.replace(/!.*$/, ""));
      expect(paths.length, `seed ${seed}`).toBe(all.length + 1);
      [...all, "latin1"].forEach((attrs, i) => {
        const bytes = readFileSync(paths[i]!);
        cases.push({ attrs, drvPath: paths[i]!, bytes, drv: parseDerivationATerm(bytes) });
      });
    });
  }, 120_000);

  it("parse → print gives Nix's bytes; drv path and output paths are Nix's", () => {
    for (const c of cases) {
      const why = `${c.drvPath} ${JSON.stringify(c.attrs)}`;
      expect(Buffer.from(printDerivationATerm(c.drv)).equals(c.bytes), why).toBe(true);
      expect(derivationPath(c.drv), why).toBe(c.drvPath);
      const paths = computeOutputPathsSync(c.drv, { lookup });
      for (const [name, o] of c.drv.outputs) {
        expect(o.kind === "inputAddressed" || o.kind === "caFixed", why).toBe(true);
        expect(paths.get(name), why).toBe((o as { path: string }).path);
        expect(c.drv.env.get(name), why).toBe((o as { path: string }).path);
      }
    }
  });

  it("show JSON is byte-identical to nix show-derivation", () => {
    const ours = printShowDerivationJson(cases.map((c) => ({ drvPath: c.drvPath, drv: c.drv })));
    const theirs = runNixBytes("nix", ["show-derivation", ...cases.map((c) => c.drvPath)]);
    expect(Buffer.from(ours).equals(theirs)).toBe(true);
  });

  it("Nix's show JSON read from bytes gives back every .drv exactly (raw bytes included)", () => {
    const theirs = runNixBytes("nix", ["show-derivation", ...cases.map((c) => c.drvPath)]);
    const doc = readDerivationJsonBytes(theirs);
    const byPath = new Map(doc.entries.map((e) => [e.key, e.drv]));
    for (const c of cases) {
      const drv = byPath.get(c.drvPath)!;
      expect(Buffer.from(printDerivationATerm(drv)).equals(c.bytes), c.drvPath).toBe(true);
      expect(derivationPath(drv), c.drvPath).toBe(c.drvPath);
    }
    // and through the CLI, for a derivation with raw bytes
    const raw = cases.filter((c) => !c.bytes.equals(Buffer.from(c.bytes.toString("utf8"))));
    expect(raw.length).toBeGreaterThan(0);
    for (const c of raw.slice(0, 3)) {
      const json = runNixBytes("nix", ["show-derivation", c.drvPath]);
      const aterm = runCli(["derivation", "aterm", "-"], { input: json });
      expect(aterm.stdout.equals(c.bytes), aterm.stderr).toBe(true);
      const path = runCli(["derivation", "path", "-"], { input: json });
      expect(path.stdoutText.trim(), path.stderr).toBe(c.drvPath);
      const validate = runCli(["derivation", "validate", "-"], { input: json });
      expect(validate.status, validate.stderr).toBe(0);
    }
  });

  it("the CLI agrees: show, path, output-paths, aterm of the show JSON", () => {
    const some = [cases[0]!, cases[9]!, cases[10]!, cases[cases.length - 1]!];
    const show = runCli(["derivation", "show", ...some.map((c) => c.drvPath)]);
    expect(show.status, show.stderr).toBe(0);
    expect(
      show.stdout.equals(runNixBytes("nix", ["show-derivation", ...some.map((c) => c.drvPath)])),
    ).toBe(true);
    for (const c of some.slice(0, 3)) {
      const path = runCli(["derivation", "path", c.drvPath]);
      expect(path.stdoutText.trim(), path.stderr).toBe(c.drvPath);
      const outs = runCli(["derivation", "output-paths", c.drvPath]);
      const expected = Object.fromEntries(
        [...c.drv.outputs].map(([k, o]) => [k, (o as { path: string }).path]),
      );
      expect(JSON.parse(outs.stdoutText), outs.stderr).toEqual(expected);
      const json = runNixBytes("nix", ["show-derivation", c.drvPath]);
      const aterm = runCli(["derivation", "aterm", "-"], { input: json });
      expect(aterm.stdout.equals(c.bytes), aterm.stderr).toBe(true);
    }
  });
});

/**
 * The same derivation written as Nix never writes it but reads it: an environment variable
 * given twice (the first value is dropped, with an unknown escape in it), an input source and
 * an input derivation's output twice, bytes after the final `)`. Nix reads it as `drv`, so its
 * output paths stay right and `nix-store --add` takes it.
 */
function quirky(bytes: Uint8Array): Buffer | undefined {
  const t = parseATerm(bytes);
  if (t.type !== "appl" || t.name !== "Derive") return undefined;
  const [outputs, inputDrvs, inputSrcs, system, builder, args, env] = t.args as ATerm[];
  if (env?.type !== "list" || env.items.length === 0) return undefined;
  const str = (value: string): ATerm => ({ type: "string", value, offset: 0 });
  const first = env.items[0]!;
  if (first.type !== "tuple") return undefined;
  const dupEnv: ATerm = { ...first, items: [first.items[0]!, str("QUIRK")] };
  const lists: ATerm[] = [outputs!, inputDrvs!, inputSrcs!, system!, builder!, args!];
  if (inputSrcs?.type === "list" && inputSrcs.items.length > 0) {
    lists[2] = { ...inputSrcs, items: [...inputSrcs.items, inputSrcs.items[0]!] };
  }
  if (inputDrvs?.type === "list" && inputDrvs.items.length > 0) {
    const d0 = inputDrvs.items[0]!;
    if (d0.type === "tuple" && d0.items[1]?.type === "list" && d0.items[1].items.length > 0) {
      const names = d0.items[1];
      const dup: ATerm = {
        ...d0,
        items: [d0.items[0]!, { ...names, items: [...names.items, names.items[0]!] }],
      };
      lists[1] = { ...inputDrvs, items: [dup, ...inputDrvs.items.slice(1)] };
    }
  }
  const printed = Buffer.from(
    printATerm({ ...t, args: [...lists, { ...env, items: [dupEnv, ...env.items] }] }),
  ).toString("latin1");
  // the system is written unescaped by Nix, escaped by the general printer: same value
  return Buffer.from(`${printed.replace('"QUIRK"', '"QU\\IRK"')}trailing\n`, "latin1");
}

describeWithNix("derivations Nix 2.8 reads leniently: nix show-derivation agrees", () => {
  it("a fixed-output .drv without a name variable is named after its path", () => {
    withTempDir((dir) => {
      const file = join(dir, "fod.nix");
      writeFileSync(
        file,
        derivationAttrsToNix({
          ...base("fod-noname"),
          fixed: { algorithm: "sha256", recursive: true, hex: HASHES.sha256! },
        }),
      );
      const p = runNixBytes("nix-instantiate", [file]).toString().trim();
      const text = readFileSync(p, "latin1");
      const without = text.replace(',("name","fod-noname")', "");
      expect(without).not.toBe(text);
      mkdirSync(join(dir, "x"));
      writeFileSync(join(dir, "x", "fod-noname.drv"), without, "latin1");
      const added = runNixBytes("nix-store", ["--add", join(dir, "x", "fod-noname.drv")])
        .toString()
        .trim();
      const ours = runCli(["derivation", "show", added]);
      expect(ours.status, ours.stderr).toBe(0);
      expect(ours.stdout.equals(runNixBytes("nix", ["show-derivation", added]))).toBe(true);
    });
  });

  it("duplicates, unknown escapes and trailing bytes: read as Nix reads them, with quirks, printed back exactly, drv path of the real file", () => {
    const seed = Number(process.env.NIX_COMPAT_SEED ?? Date.now() % 1_000_000);
    const attrs = fc
      .sample(arbDerivationAttrs(1), { numRuns: 8, seed })
      .map((a) => ({ ...a, env: [...a.env, ["e_quirk", "v"] as const], structuredAttrs: false }));
    withTempDir((dir) => {
      const file = join(dir, "all.nix");
      writeFileSync(
        file,
        derivationAttrsSource(`[ ${attrs.map(derivationAttrsToNix).join("\n")} ]`),
      );
      const paths = runNixBytes("nix-instantiate", [file], { env: { NIX_PATH: "" } })
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => l.replace(/!.*$/, ""));
      const added: { path: string; bytes: Buffer; refs: string[]; file: string }[] = [];
      for (const p of paths) {
        const bytes = quirky(readFileSync(p));
        if (bytes === undefined) continue;
        const name = p.slice(p.indexOf("-") + 1);
        const sub = join(dir, String(added.length));
        mkdirSync(sub);
        writeFileSync(join(sub, name), bytes);
        const path = runNixBytes("nix-store", ["--add", join(sub, name)])
          .toString()
          .trim();
        const refs = runNixBytes("nix-store", ["--query", "--references", p])
          .toString()
          .split("\n")
          .filter((l) => l.length > 0);
        added.push({ path, bytes, refs, file: join(sub, name) });
        const drv = parseDerivationATerm(bytes);
        const why = `seed ${seed}: ${bytes.toString("latin1")}`;
        expect(
          drv.quirks?.map((q) => q.code),
          why,
        ).toContain("derivation.duplicate-env");
        expect(
          drv.quirks?.map((q) => q.code),
          why,
        ).toContain("aterm.trailing-bytes");
        expect(
          drv.quirks?.map((q) => q.code),
          why,
        ).toContain("aterm.bad-escape");
        // read as Nix reads it: the derivation Nix wrote is the canonical print
        const canonical = printDerivationATerm(drv, { canonical: true });
        expect(Buffer.from(canonical).equals(readFileSync(p)), why).toBe(true);
        // and printed back as it was written
        expect(Buffer.from(printDerivationATerm(drv)).equals(bytes), why).toBe(true);
        expect(() => parseDerivationATerm(bytes, { strict: true }), why).toThrow();
      }
      expect(added.length, `seed ${seed}`).toBeGreaterThan(0);
      const ours = runCli(["derivation", "show", ...added.map((a) => a.path)]);
      expect(ours.status, ours.stderr).toBe(0);
      const theirs = runNixBytes("nix", ["show-derivation", ...added.map((a) => a.path)]);
      expect(ours.stdout.equals(theirs), `seed ${seed}`).toBe(true);
      // The drv path of a quirky file is the text hash of its bytes: put each file into the
      // store as Nix writes a .drv (`builtins.toFile`, a text path with the file's references).
      const nix = join(dir, "quirky.nix");
      writeFileSync(
        nix,
        `[ ${added
          .map(({ file, refs }) => {
            const ctx = refs.map((r) => `(builtins.substring 0 0 (builtins.storePath "${r}"))`);
            const name = file.slice(file.lastIndexOf("/") + 1);
            return `(builtins.toFile ${JSON.stringify(name)} (${[...ctx, `(builtins.readFile ${JSON.stringify(file)})`].join(" + ")}))`;
          })
          .join("\n")} ]`,
      );
      const textPaths = JSON.parse(
        runNixBytes("nix-instantiate", ["--eval", "--strict", "--json", "--read-write-mode", nix], {
          env: { NIX_PATH: "" },
        }).toString(),
      ) as string[];
      added.forEach(({ bytes }, i) => {
        const textPath = textPaths[i]!;
        expect(readFileSync(textPath).equals(bytes), textPath).toBe(true);
        const name = textPath.slice(textPath.indexOf("-") + 1, -".drv".length);
        const drv = parseDerivationATerm(bytes);
        expect(derivationPath(drv, { name }), `seed ${seed}`).toBe(textPath);
        // Nix hashes its own unparse of the value: the output paths it wrote come out
        const paths = computeOutputPathsSync({ ...drv, name }, { lookup });
        for (const [o, out] of drv.outputs) {
          if (out.kind === "inputAddressed") expect(paths.get(o), textPath).toBe(out.path);
        }
      });
      const cliPath = runCli(["derivation", "path", textPaths[0]!]);
      expect(cliPath.status, cliPath.stderr).toBe(0);
      expect(cliPath.stdout.toString().trim()).toBe(textPaths[0]);
      const validate = runCli(["derivation", "validate", added[0]!.path]);
      expect(validate.status).toBe(1);
      expect(validate.stderr).toContain("duplicate environment variable");
    });
  }, 120_000);
});
