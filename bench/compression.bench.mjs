// compression: decompression and compression throughput of nix-compat/cache's codecs on one
// NAR (nix-store --dump of TypeScript's lib/, about 23 MB, or a generated NAR without Nix),
// in process and streamed in 64 KiB chunks, beside the reference programs (xz, zstd, bzip2:
// the C libraries Nix links) run on the same bytes. Figures are MiB of NAR per second; the
// ratio column is ours / the reference program (higher is better).
//
// Why these libraries (figures from one run of the candidates, load ~1.6, Node 20, same NAR):
// xz decoding: xz-decompress (xz-embedded, WASM) 64 MiB/s, @napi-rs/lzma 1.4 (native, whole
// buffer) 47 MiB/s, node-liblzma's WASM build did not load in Node; xz encoding: no
// maintained streaming encoder runs in JS/WASM on Node 20 (@napi-rs/lzma 1.4 writes
// uncompressed LZMA, 1.5 needs Node 22.20), so Node uses the xz program. zstd decoding: fzstd
// (JS, streaming) 87 MiB/s, @bokuweb/zstd-wasm (whole buffer) 99 MiB/s, @hpcc-js/wasm-zstd
// 4.5 MiB/s; zstd encoding: @bokuweb/zstd-wasm 97 MiB/s (one shared context in
// @hpcc-js/wasm-zstd corrupts concurrent streams). bzip2 decoding: unbzip2-stream's decoder 26
// MiB/s, seek-bzip 16 MiB/s, bz2 1.4 MiB/s. brotli: node:zlib 89 MiB/s; brotli-wasm's web
// build fetches its 1 MB module by URL (fails in Node and in bundles).
// xz on Workers (no WebAssembly compiled from bytes): the same xz-decompress module, shipped
// precompiled as nix-compat/cache/xz.wasm and installed with installXzWasm (same speed as
// above, it is the same code). No pure-JS xz decoder fit: xz-compat (the only one reading
// .xz/LZMA2) is built on Node streams and Buffer with optional native bindings; lzma,
// lzma-purejs and js-lzma read only the legacy .lzma format, not xz.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants as zc } from "node:zlib";
import { have, HAVE_NIX, printTable, REPO_ROOT } from "./lib.mjs";
import { loadavg } from "node:os";

const dist = (p) => import(join(REPO_ROOT, "dist", p));
const { compress, decompress, compressionCodec, setCompressionCodec } =
  await dist("cache/index.js");
const { nodeBrotliCodec, nodeZstdCodec, nodeXzCodec } = await dist("cache/node.js");

function makeNar() {
  const ts = join(REPO_ROOT, "node_modules", "typescript", "lib");
  if (HAVE_NIX && existsSync(ts)) {
    const r = spawnSync("nix-store", ["--dump", ts], { maxBuffer: 1 << 30 });
    if (r.status === 0) return new Uint8Array(r.stdout.subarray(0, 24 << 20));
  }
  // text-like filler: words from a small vocabulary
  const words = "store path derivation output hash narinfo reference signature compression".split(
    " ",
  );
  let s = "";
  let x = 1;
  while (s.length < 16 << 20) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += words[x % words.length] + (x & 64 ? "\n" : " ");
  }
  return new Uint8Array(Buffer.from(s));
}

const nar = makeNar();
const MiB = nar.length / 1048576;
console.log(
  `\n## compression (${MiB.toFixed(1)} MiB NAR; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")})`,
);

function* chunks(b, size = 65536) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
async function drain(it) {
  let n = 0;
  const parts = [];
  for await (const c of it) {
    n += c.length;
    parts.push(c);
  }
  return Buffer.concat(parts, n);
}
async function seconds(fn) {
  const t = process.hrtime.bigint();
  const out = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e9, out];
}
function program(cmd, args, input) {
  if (!have(cmd)) return [undefined, undefined];
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return r.status === 0 ? [s, new Uint8Array(r.stdout)] : [undefined, undefined];
}

const reference = {
  xz: { enc: ["xz", ["-c", "-6", "-T1"]], dec: ["xz", ["-d", "-c"]] },
  zstd: { enc: ["zstd", ["-c", "-3", "-q"]], dec: ["zstd", ["-d", "-c", "-q"]] },
  bzip2: { enc: ["bzip2", ["-c", "-9"]], dec: ["bzip2", ["-d", "-c"]] },
};
const rows = [];
const rate = (s) => (s === undefined ? "-" : (MiB / s).toFixed(1));
const ratio = (ours, ref) =>
  ours === undefined || ref === undefined ? "-" : (ref / ours).toFixed(2);

for (const method of ["xz", "zstd", "bzip2", "br"]) {
  let file;
  let refDec;
  let refEnc;
  if (method === "br") {
    const t = process.hrtime.bigint();
    file = new Uint8Array(brotliCompressSync(nar, { params: { [zc.BROTLI_PARAM_QUALITY]: 5 } }));
    refEnc = Number(process.hrtime.bigint() - t) / 1e9;
  } else {
    const ref = reference[method];
    [refEnc, file] = program(ref.enc[0], ref.enc[1], nar);
    if (file === undefined) continue;
    [refDec] = program(ref.dec[0], ref.dec[1], file);
  }
  // portable decoder (the default), then the Node codec where it differs
  const portable = compressionCodec(method);
  if (portable.decompress) {
    const [s, out] = await seconds(() => drain(decompress(method, chunks(file))));
    if (Buffer.compare(out, nar) !== 0) throw new Error(`${method}: wrong output`);
    rows.push([`${method} decode`, portable.name, rate(s), rate(refDec), ratio(s, refDec)]);
  }
  const node = { br: nodeBrotliCodec, zstd: nodeZstdCodec, xz: nodeXzCodec }[method];
  if (node?.decompress) {
    setCompressionCodec(method, node);
    const [s, out] = await seconds(() => drain(decompress(method, chunks(file))));
    if (Buffer.compare(out, nar) !== 0) throw new Error(`${method}: wrong output`);
    rows.push([`${method} decode`, node.name, rate(s), rate(refDec), ratio(s, refDec)]);
  }
  if (node?.compress) {
    setCompressionCodec(method, node);
    const [s, out] = await seconds(() => drain(compress(method, chunks(nar))));
    const back = await drain(decompress(method, chunks(out)));
    if (Buffer.compare(back, nar) !== 0) throw new Error(`${method}: round trip failed`);
    rows.push([
      `${method} encode (${((out.length / nar.length) * 100).toFixed(1)}% vs ref ${((file.length / nar.length) * 100).toFixed(1)}%)`,
      node.name,
      rate(s),
      rate(refEnc),
      ratio(s, refEnc),
    ]);
  }
  setCompressionCodec(method, undefined);
}
const header = ["what", "codec", "ours", "reference program", "ours / reference"];
printTable(
  "codec throughput, MiB of NAR per second",
  rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
);
