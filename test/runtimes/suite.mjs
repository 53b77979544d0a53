/**
 * The portable suite: plain ES module checks of every portable subpath of the package, run
 * unchanged in Node, headless Chromium and workerd (and Deno/Bun where present) from the packed
 * package as a consumer installs it. It imports `nix-compat/...` by name, as a consumer does,
 * and reads its fixtures with `fetch()` from the loopback server of `harness.ts`, so the same
 * file needs nothing of any one runtime. No test framework: each check throws on a mismatch.
 *
 * `runSuite(baseUrl)` resolves to `{ runtime, checks: [{ name, ok, ms, error? }] }`; it never
 * rejects, so each runtime's driver reports every failing check.
 */
import * as root from "nix-compat";
import * as cache from "nix-compat/cache";
import * as codecs from "nix-compat/codecs";
import * as core from "nix-compat/core";
import * as daemon from "nix-compat/daemon";
import * as derivation from "nix-compat/derivation";
import * as exportFormat from "nix-compat/export";
import * as nar from "nix-compat/nar";
import * as narinfo from "nix-compat/narinfo";
import * as schemas from "nix-compat/schemas";
import * as signing from "nix-compat/signing";

const CACHE_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
const NARINFO_ENTRIES = 652;

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a.slice(0, 300)}, expected ${e.slice(0, 300)}`);
}

function assertBytes(actual, expected, what) {
  assert(actual instanceof Uint8Array, `${what} is a Uint8Array`);
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${what}: bytes differ at offset ${i}`);
  }
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} bytes, expected ${expected.length}`);
  }
}

function expectError(fn, check, what) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert(error !== undefined, `${what} throws`);
  check(error);
}

/** Which runtime this is, as far as globals tell. */
function runtimeName() {
  const g = globalThis;
  if (typeof g.Deno !== "undefined") return "deno";
  if (typeof g.Bun !== "undefined") return "bun";
  if (typeof g.navigator !== "undefined" && g.navigator.userAgent === "Cloudflare-Workers") {
    return "workerd";
  }
  if (typeof g.process !== "undefined" && g.process.versions?.node) return "node";
  if (typeof g.document !== "undefined") return "browser";
  return "unknown";
}

/** The checks, by name; each gets a fixture loader. */
const CHECKS = {
  async "cache: xz, zstd and bzip2 NARs decompress as streams (brotli where the runtime has it)"({
    bytes,
    url,
  }) {
    const plain = await bytes("cache/sample.nar");
    const methods = { xz: "xz", zstd: "zst", bzip2: "bz2", br: "br" };
    for (const [method, ext] of Object.entries(methods)) {
      if (!cache.canRunCompression(method, "decompress")) {
        // brotli needs DecompressionStream("brotli"); on workerd xz needs installXzWasm(xz.wasm)
        const allowed = method === "br" || (method === "xz" && runtimeName() === "workerd");
        assert(allowed, `${method} decodes in ${runtimeName()}`);
        continue;
      }
      const body = (await fetch(url(`cache/sample.nar.${ext}`))).body;
      const got = new Uint8Array(
        await new Response(body.pipeThrough(cache.decompressionStream(method))).arrayBuffer(),
      );
      assertBytes(got, plain, `${method} decoded`);
    }
    let refused;
    try {
      cache.installXzWasm(new Uint8Array(8)); // a WebAssembly.Module is wanted (Workers: xz.wasm)
    } catch (e) {
      refused = e;
    }
    assert(refused instanceof TypeError, "installXzWasm takes only a WebAssembly.Module");
    if (!cache.canRunCompression("xz", "decompress")) return;
    let error;
    try {
      for await (const _ of cache.decompress(
        "xz",
        (await bytes("cache/sample.nar.xz")).subarray(0, 9000),
      ))
        void _;
    } catch (e) {
      error = e;
    }
    assert(error instanceof cache.CompressedDataTruncatedError, "a cut xz stream is truncated");
  },

  async "root entry: one module graph with the subpaths"() {
    assert(root.parseDerivationATerm === derivation.parseDerivationATerm, "same parse function");
    assert(root.parseNarInfo === narinfo.parseNarInfo, "same parseNarInfo");
    assert(root.MalformedInputError === core.MalformedInputError, "same error class");
    assert(typeof globalThis.Buffer === "undefined" || runtimeName() !== "browser", "no Buffer");
  },

  async "core: hashes and a fixed-output path"() {
    const h = core.parseHash("sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq");
    assertEqual(
      core.formatHash(h, "sri"),
      "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=",
      "sri",
    );
    const sp = core.makeFixedOutputPath("h.txt", {
      method: "flat",
      hash: core.computeHash("sha256", "hello\n"),
    });
    assertEqual(
      core.storePathToAbsolute(sp),
      "/nix/store/pihdd9cadryc4gkk8zsdbvpvilql139b-h.txt",
      "fixed-output path",
    );
  },

  async "derivation: .drv fixtures parse and print byte for byte, with their paths"({
    json,
    bytes,
  }) {
    const names = (await json("index.json")).derivations;
    assert(names.length >= 10, `at least 10 .drv fixtures (got ${names.length})`);
    for (const name of names) {
      const drvBytes = await bytes(`derivation/ok/${name}`);
      const drv = derivation.parseDerivationATerm(drvBytes, { file: name });
      assertBytes(derivation.printDerivationATerm(drv), drvBytes, `${name} printed`);
      assertEqual(derivation.derivationPath(drv), `/nix/store/${name}`, `${name} derivationPath`);
    }
    expectError(
      () => derivation.parseDerivationATerm(new TextEncoder().encode('Derive([("out","/nix')),
      (e) => {
        assert(e instanceof core.TruncatedInputError, `truncated input is told apart (${e})`);
        assert(typeof e.code === "string" && e.code.length > 0, "error has a code");
      },
      "a truncated .drv",
    );
  },

  async "nar: readNar and listNar over a fetch() body"({ url }) {
    const nodes = [];
    const res = await fetch(url("nar/complicated.nar?chunk=7"));
    for await (const node of nar.readNar(res.body)) {
      let size = 0;
      if (node.type === "regular") for await (const c of node.contents) size += c.length;
      nodes.push([node.type, node.path, size, node.narOffset ?? null, node.target ?? null]);
    }
    assertEqual(
      nodes,
      [
        ["directory", "", 0, null, null],
        ["regular", ".keep", 0, 232, null],
        ["symlink", "aa", 0, null, "/nix/store/somewhereelse"],
        ["directory", "keep", 0, null, null],
        ["regular", "keep/.keep", 0, 760, null],
      ],
      "complicated.nar nodes",
    );
    const listing = await nar.listNar((await fetch(url("nar/helloworld.nar?chunk=5"))).body);
    assertEqual(listing, { type: "regular", size: 12, narOffset: 96 }, "hello listing");
  },

  async "nar: a 1 MiB file streamed through a ReadableStream, and whole-tree round trips"({
    bytes,
  }) {
    const contents = new Uint8Array(1 << 20);
    for (let i = 0; i < contents.length; i++) contents[i] = (i * 31) & 0xff;
    const encoded = nar.encodeNar({
      type: "directory",
      entries: [{ name: "big", node: { type: "regular", executable: true, contents } }],
    });
    let seen = 0;
    let sum = 0;
    for await (const node of nar.readNar(new Response(encoded).body)) {
      if (node.type !== "regular") continue;
      assert(node.executable && node.size === contents.length, "big file node");
      for await (const c of node.contents) {
        for (let i = 0; i < c.length; i++) sum = (sum + c[i]) % 65521;
        seen += c.length;
      }
    }
    let want = 0;
    for (let i = 0; i < contents.length; i++) want = (want + contents[i]) % 65521;
    assertEqual([seen, sum], [contents.length, want], "streamed contents");
    for (const name of ["complicated.nar", "helloworld.nar", "symlink.nar", "emptydirectory.nar"]) {
      const b = await bytes(`nar/${name}`);
      assertBytes(nar.encodeNar(nar.parseNar(b)), b, `${name} round trip`);
    }
  },

  async "narinfo: the cache.nixos.org corpus round-trips and its signatures verify"({ text }) {
    const corpus = await text("narinfo/cache-nixos-org.narinfo.txt");
    const entries = corpus.split("\n\n").map((e, i, all) => (i < all.length - 1 ? `${e}\n` : e));
    assertEqual(entries.length, NARINFO_ENTRIES, "entries");
    const key = signing.parsePublicKey(CACHE_KEY);
    for (const e of entries) {
      const info = narinfo.parseNarInfo(e);
      assert(narinfo.printNarInfo(info) === e, `round trip of ${info.storePath}`);
    }
    // Every 13th entry: enough to exercise the ed25519 path without a long run in slow engines.
    for (let i = 0; i < entries.length; i += 13) {
      const info = narinfo.parseNarInfo(entries[i]);
      assert(narinfo.verifyNarInfo(info, [key]), `signature of entry ${i}`);
      const tampered = narinfo.parseNarInfo(entries[i].replace(/NarSize: \d+/, "NarSize: 1"));
      assert(!narinfo.verifyNarInfo(tampered, [key]), `tampered entry ${i} fails`);
    }
  },

  async "signing: a generated key signs a narinfo that verifies with its public key"({ text }) {
    const corpus = await text("narinfo/cache-nixos-org.narinfo.txt");
    const info = narinfo.parseNarInfo(`${corpus.split("\n\n")[0]}\n`);
    const secret = signing.generateSecretKey("demo-1", new Uint8Array(32).fill(7));
    const pub = signing.publicKeyOf(secret);
    const signed = narinfo.signNarInfo(info, secret);
    assert(
      narinfo.verifyNarInfo(signed, [signing.parsePublicKey(signing.formatPublicKey(pub))]),
      "verifies",
    );
    assert(!narinfo.verifyNarInfo(info, [pub]), "unsigned does not verify with the new key");
  },

  async "schemas: a zod validation error names its JSON path"({ json }) {
    const names = (await json("index.json")).derivations;
    const doc = await json(`derivation/ok/${names.find((n) => n.endsWith("-foo.drv"))}.json`);
    schemas.parseWithSchema(schemas.derivationV1Schema, doc);
    const bad = structuredClone(doc);
    bad.outputs.out.path = 42;
    expectError(
      () => schemas.parseWithSchema(schemas.derivationV1Schema, bad),
      (e) => {
        assert(e instanceof schemas.JsonValidationError, `a JsonValidationError (${e})`);
        assert(e instanceof core.ValidationError, "one ValidationError class across subpaths");
        assertEqual(e.issues[0].path, ["outputs", "out", "path"], "issue path");
        assert(e.message.includes("outputs"), `message names the path: ${e.message}`);
      },
      "a wrong output path",
    );
  },

  async "codecs: a declared format round-trips"() {
    const greeting = codecs.record("demo.greeting", {
      magic: codecs.token("hello"),
      name: codecs.utf8("demo.name", { max: 64 }),
      ages: codecs.list("demo.ages", codecs.u64n("demo.age")),
    });
    const b = codecs.encode(greeting, { name: "nix", ages: [1, 2] });
    assertEqual(b.length, 56, "encoded size");
    assertEqual(codecs.decode(greeting, b), { name: "nix", ages: [1, 2] }, "decoded");
    expectError(
      () => codecs.decode(greeting, b.subarray(0, 40)),
      (e) => {
        assert(e instanceof core.TruncatedInputError, `a TruncatedInputError (${e})`);
        assertEqual([e.code, e.position.offset], ["demo.truncated", 40], "code and offset");
      },
      "a cut encoding",
    );
  },

  async "codecs: an event writer writes what encode writes (eval or not)"() {
    const pair = codecs.record("demo.pair", {
      magic: codecs.token("pair"),
      key: codecs.event("key", codecs.utf8("demo.key", { max: 8 })),
      size: codecs.event("size", codecs.u64n("demo.size")),
    });
    const want = codecs.encode(pair, { key: "k", size: 7 });
    for (const f of [codecs.compileWriter(pair), codecs.compileWriter(pair, { eval: false })]) {
      const parts = [];
      const w = f.create({ sink: (c) => parts.push(c.slice()) });
      w.begin();
      w.event("key", "k");
      w.event("size", 7);
      w.flush();
      w.finish();
      assertEqual(Array.from(codecs.concatBytes(parts)), Array.from(want), `bytes (${f.mode})`);
    }
  },

  async "export: a nix-store --export stream round-trips"({ bytes }) {
    const tree = nar.parseNar(await bytes("nar/helloworld.nar"));
    const path = `/nix/store/${"a".repeat(32)}-hello`;
    const entries = [{ path, references: [path], deriver: undefined, nar: tree }];
    const encoded = exportFormat.encodeExport(entries);
    const back = exportFormat.decodeExport(encoded);
    assertEqual(back.length, 1, "one entry");
    assertEqual(back[0].path, path, "path");
    assertBytes(exportFormat.encodeExport(back), encoded, "re-encoded");
  },

  async "cache: the handler takes an upload and serves it back, signed"() {
    const contents = new TextEncoder().encode("cached\n");
    const bytesOfNar = nar.encodeNar({ type: "regular", executable: false, contents });
    const fileHash = core.formatDigest(core.computeHash("sha256", bytesOfNar), "nix32");
    const hashPart = "0c3p1ijzbw7k0lmvgmnahpqfm2nx5kzy";
    const secretKey = signing.generateSecretKey("suite-1");
    const blobs = new cache.MemoryCacheBlobs();
    const handle = cache.createCacheHandler({
      store: cache.createBlobCacheStore(blobs),
      secretKey,
      writable: true,
    });
    const put = async (path, body) =>
      (await handle(new Request(`http://cache/${path}`, { method: "PUT", body }))).status;
    assertEqual(await put(`nar/${fileHash}.nar`, bytesOfNar), 204, "PUT nar");
    const text =
      `StorePath: /nix/store/${hashPart}-cached\nURL: nar/${fileHash}.nar\nCompression: none\n` +
      `NarHash: sha256:${fileHash}\nNarSize: ${bytesOfNar.length}\nReferences: \n`;
    assertEqual(await put(`${hashPart}.narinfo`, text), 204, "PUT narinfo");
    const served = await handle(new Request(`http://cache/${hashPart}.narinfo`));
    const info = narinfo.parseNarInfo(await served.text());
    const checksOut = narinfo.verifyNarInfo(info, [signing.publicKeyOf(secretKey)]);
    assert(checksOut, "served narinfo verifies with the key");
    const servedNar = await handle(new Request(`http://cache/nar/${fileHash}.nar`));
    assertBytes(new Uint8Array(await servedNar.arrayBuffer()), bytesOfNar, "served NAR");
    assertEqual((await handle(new Request("http://cache/nar/..%2f..%2fx"))).status, 404, "404");
  },

  async "daemon: client session and server over an in-memory transport"() {
    const contents = new TextEncoder().encode("hello\n");
    const bytesOfNar = nar.encodeNar({ type: "regular", executable: false, contents });
    const path = `/nix/store/${"a".repeat(32)}-hello`;
    const store = new daemon.MemoryStore();
    store.add(
      {
        path,
        deriver: undefined,
        narHash: core.computeHash("sha256", bytesOfNar),
        references: [],
        registrationTime: 1,
        narSize: bytesOfNar.length,
        ultimate: false,
        sigs: [],
        ca: undefined,
      },
      bytesOfNar,
    );
    const [client, server] = daemon.memoryTransportPair();
    const served = daemon.serveWorkerProtocol(server, store, {
      trusted: true,
      nixVersion: "suite",
    });
    const session = await daemon.WorkerSession.open(client, {});
    assert(await session.isValidPath(path), "path is valid");
    const info = await session.queryPathInfo(path);
    assertEqual(info.narSize, bytesOfNar.length, "narSize");
    const chunks = [];
    for await (const c of session.narFromPath(path)) chunks.push(c.slice());
    const got = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      got.set(c, at);
      at += c.length;
    }
    assertBytes(got, bytesOfNar, "narFromPath");
    session.close();
    await served.catch(() => undefined);
  },
};

/** Runs every check against the fixture server at `baseUrl`; never rejects. */
export async function runSuite(baseUrl) {
  const url = (p) => new URL(p, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href;
  const get = async (p) => {
    const res = await fetch(url(p));
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res;
  };
  const io = {
    url,
    bytes: async (p) => new Uint8Array(await (await get(p)).arrayBuffer()),
    text: async (p) => (await get(p)).text(),
    json: async (p) => (await get(p)).json(),
  };
  const checks = [];
  for (const [name, check] of Object.entries(CHECKS)) {
    const start = Date.now();
    try {
      await check(io);
      checks.push({ name, ok: true, ms: Date.now() - start });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
      checks.push({ name, ok: false, ms: Date.now() - start, error });
    }
  }
  return { runtime: runtimeName(), checks };
}
