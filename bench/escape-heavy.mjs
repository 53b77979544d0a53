// Derivations heavy in escapes, instantiated with real Nix (issue 16's `derivation show` input),
// shared by the derivation and nar-pipelines benches. The generator is seeded: the first n of
// a larger corpus are the n of a smaller one (the same store paths).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WORK_DIR } from "./lib.mjs";

/**
 * `count` derivations heavy in escapes, instantiated with real Nix into /nix/store (cached in
 * bench/.work): long multi-line environment values with `"`, `\\`, `$`, `\${`, tabs, raw
 * control characters, unicode, and (one in eight) raw bytes that are not UTF-8. Returns their
 * drv paths.
 */
export function escapeHeavyCorpus(count) {
  mkdirSync(WORK_DIR, { recursive: true });
  const list = join(WORK_DIR, `escape-heavy-${count}.paths`);
  if (existsSync(list)) {
    const paths = readFileSync(list, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    if (paths.length === count && paths.every((p) => existsSync(p))) return paths;
  }
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const LINES = [
    'if [ -e "$out/lib/lib${name}.so" ]; then rm -rf "$out/share/doc"; fi',
    "substituteInPlace Makefile --replace '/usr/bin/env' \"$(type -p env)\" \\",
    'export NIX_CFLAGS_COMPILE="-I${dev}/include $NIX_CFLAGS_COMPILE"\t# tab',
    'echo "quoted \\"inner\\" text" 2>&1 | sed -e \'s/\\(a\\)/\\1b/g\'',
    "printf '%s\\n' \"Grüße, naïve café — 中文字符 — 🚀 ✓\"",
    "for f in $(find . -name '*.c'); do echo \"$f\"; done # ${'$'}{not interpolated}",
    "\x01\x02 control \x1b[0m colour \x7f del",
    "C:\\Windows\\bin \\n is not a newline here \\t nor a tab",
  ];
  const nixString = (text) =>
    `"${text.replace(/[\\"$\n\t\r]/g, (c) => ({ "\n": "\\n", "\t": "\\t", "\r": "\\r" })[c] ?? `\\${c}`)}"`;
  const parts = ["["];
  for (let i = 0; i < count; i++) {
    const lines = (n) => Array.from({ length: n }, () => LINES[rand(LINES.length)]).join("\n");
    const raw = i % 8 === 0 ? "latin1 bytes: caf\u00e9 \u00ff\u00fe end" : "plain utf-8: café";
    const attrs = {
      name: `esc-${i}`,
      system: "x86_64-linux",
      builder: "/bin/sh",
      buildPhase: lines(30 + rand(20)),
      installPhase: lines(20 + rand(20)),
      preConfigure: lines(10),
      description: `Derivation ${i}: "escapes" \\ and $dollars, unicode ✓ ${"x".repeat(rand(200))}`,
      raw,
    };
    let d = "  (derivation {";
    for (const [k, v] of Object.entries(attrs)) d += ` ${k} = ${nixString(v)};`;
    d += ` args = [ "-c" ${nixString(lines(5))} ];`;
    parts.push(`${d} })`);
  }
  parts.push("]");
  const text = parts.join("\n");
  const file = join(WORK_DIR, `escape-heavy-${count}.nix`);
  // the raw-byte values: those spans written as latin1 (one byte per char), the rest as UTF-8
  const out = Buffer.concat(
    text
      .split(/(latin1 bytes: [^"]*)/)
      .map((piece, k) => Buffer.from(piece, k % 2 === 1 ? "latin1" : "utf8")),
  );
  writeFileSync(file, out);
  const r = spawnSync("nix-instantiate", [file], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  const paths = r.stdout.split("\n").filter((l) => l.startsWith("/nix/store/"));
  writeFileSync(list, `${paths.join("\n")}\n`);
  return paths;
}
