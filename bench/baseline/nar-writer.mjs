// Baseline for bench/nar-dump-compiled.bench.mjs: the hand-written checked NAR writer (createNarWriter, writeNar of src/nar/writer.ts), as it was in src
// before issue 12 replaced it with the declaration's generated event writer (base 1594d37),
// transpiled to JavaScript and importing the built library (dist/). Not shipped, not tested:
// the bench compares the compiled writer against it.
/* global TextDecoder */
import { byteChunks } from "../../dist/codecs/byte-reader.js";
import {
  concatBytes,
  copyBytes,
  framedBytes,
  padLength,
  u64Bytes,
  utf8Bytes,
} from "../../dist/codecs/wire-bytes.js";
import { isBytes } from "../../dist/core/bytes.js";
import { UsageError, ValidationError } from "../../dist/core/errors.js";
import { narCodec } from "../../dist/nar/nar-compiled.js";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "../../dist/nar/nar-rules.js";
import { NAR_HEADERS } from "../../dist/nar/nar-tokens.js";
function encodeNar(tree) {
  return narCodec.encode(tree);
}

const ZEROS = new Uint8Array(8);
function refuse(p, path) {
  const { code, detail } = typeof p === "string" ? { code: "nar.invalid-value", detail: p } : p;
  throw new ValidationError(code, path === "" ? detail : `${detail} (at '${path}')`, {
    rule: "nar.writer",
  });
}
function createNarWriter(sink) {
  const stack = [];
  let state = "start";
  function where() {
    return stack.length === 0 ? "" : stack[stack.length - 1].path;
  }
  function beginNode() {
    if (state === "start") {
      sink(NAR_HEADERS.magic);
      state = "open";
      return "";
    }
    const top = stack[stack.length - 1];
    if (state === "done" || top?.kind !== "entry") {
      throw new UsageError("nar.writer-state", "a node can only start the NAR or follow entry()");
    }
    return top.path;
  }
  function nodeDone() {
    const top = stack[stack.length - 1];
    if (top === void 0) {
      state = "done";
      return;
    }
    if (top.kind === "entry") {
      sink(NAR_HEADERS.close);
      stack.pop();
    }
  }
  return {
    directory() {
      const path = beginNode();
      sink(NAR_HEADERS.directory);
      stack.push({ kind: "dir", last: void 0, path });
    },
    entry(name) {
      const top = stack[stack.length - 1];
      if (top?.kind !== "dir")
        throw new UsageError("nar.writer-state", "entry() outside a directory");
      const b = typeof name === "string" ? utf8Bytes(name) : name;
      const text = typeof name === "string" ? name : new TextDecoder().decode(name);
      const path = top.path === "" ? text : `${top.path}/${text}`;
      const p = checkNarName(b) ?? (top.last ? checkNarOrder(top.last, b) : void 0);
      if (p !== void 0) refuse(p, path);
      if (b.length > NAR_MAX_NAME_LENGTH)
        refuse({ code: "nar.limit-exceeded", detail: "name too long" }, path);
      top.last = b;
      sink(NAR_HEADERS.entry);
      sink(framedBytes(b));
      sink(NAR_HEADERS.node);
      stack.push({ kind: "entry", path });
    },
    regular(size, executable = false) {
      const path = beginNode();
      if (!Number.isSafeInteger(size) || size < 0)
        throw new UsageError("nar.writer-size", `bad size ${size}`);
      sink(executable ? NAR_HEADERS.executable : NAR_HEADERS.regular);
      sink(u64Bytes(size));
      stack.push({ kind: "file", remaining: size, pad: padLength(size), path });
    },
    write(chunk) {
      const top = stack[stack.length - 1];
      if (top?.kind !== "file")
        throw new UsageError("nar.writer-state", "write() outside a regular file");
      if (chunk.length > top.remaining) {
        refuse({ code: "nar.size-mismatch", detail: "more contents than announced" }, top.path);
      }
      top.remaining -= chunk.length;
      sink(chunk);
    },
    symlink(target) {
      const path = beginNode();
      const b = typeof target === "string" ? utf8Bytes(target) : target;
      const p = checkNarTarget(b);
      if (p !== void 0) refuse(p, path);
      if (b.length > NAR_MAX_TARGET_LENGTH)
        refuse({ code: "nar.limit-exceeded", detail: "target too long" }, path);
      sink(NAR_HEADERS.symlink);
      sink(framedBytes(b));
      sink(NAR_HEADERS.close);
      nodeDone();
    },
    end() {
      const top = stack.pop();
      if (top === void 0 || top.kind === "entry") {
        throw new UsageError("nar.writer-state", "end() with no open directory or file");
      }
      if (top.kind === "file") {
        if (top.remaining !== 0) {
          refuse(
            { code: "nar.size-mismatch", detail: `${top.remaining} bytes of contents missing` },
            top.path,
          );
        }
        if (top.pad) sink(ZEROS.subarray(0, top.pad));
      }
      sink(NAR_HEADERS.close);
      nodeDone();
    },
    finish() {
      if (state !== "done") {
        throw new UsageError("nar.writer-state", `NAR incomplete (open at '${where()}')`);
      }
    },
  };
}
function split(path) {
  return path.split("/").filter((s) => s !== "" && s !== ".");
}
async function writeNar(entries, sink) {
  const pending = [];
  const w = createNarWriter((c) => pending.push(copyBytes(c)));
  const open = [];
  let rootSeen = false;
  let rootIsDir = false;
  const flush = async () => {
    for (const c of pending.splice(0)) {
      const r = sink.write(c);
      if (r instanceof Promise) await r;
    }
  };
  for await (const e of entries) {
    const segs = split(e.path);
    if (segs.length === 0) {
      if (rootSeen)
        throw new ValidationError("nar.duplicate-entry", "the root appears twice", {
          rule: "nar.writer",
        });
      rootSeen = true;
    } else {
      if (!rootSeen || !rootIsDir) {
        throw new ValidationError("nar.missing-parent", `'${e.path}' has no parent directory`, {
          rule: "nar.writer",
        });
      }
      const parent = segs.slice(0, -1);
      while (open.length > parent.length || open.some((s, i) => s !== parent[i])) {
        if (open.length === 0) break;
        open.pop();
        w.end();
      }
      if (open.length !== parent.length || open.some((s, i) => s !== parent[i])) {
        throw new ValidationError(
          "nar.missing-parent",
          `'${e.path}' has no parent directory before it`,
          {
            rule: "nar.writer",
          },
        );
      }
      w.entry(segs[segs.length - 1]);
    }
    if (e.type === "directory") {
      w.directory();
      if (segs.length === 0) rootIsDir = true;
      else open.push(segs[segs.length - 1]);
    } else if (e.type === "symlink") {
      w.symlink(e.target);
    } else {
      const c = e.contents;
      if (isBytes(c)) {
        w.regular(c.length, e.executable ?? false);
        w.write(c);
        w.end();
      } else {
        w.regular(c.size, e.executable ?? false);
        await flush();
        for await (const chunk of byteChunks(c.stream)) {
          w.write(chunk);
          await flush();
        }
        w.end();
      }
    }
    await flush();
  }
  if (rootIsDir) {
    while (open.length > 0) {
      open.pop();
      w.end();
    }
    w.end();
  }
  w.finish();
  await flush();
}
async function writeNarToBytes(entries) {
  const parts = [];
  await writeNar(entries, { write: (c) => void parts.push(c) });
  return concatBytes(parts);
}
export { createNarWriter, encodeNar, writeNar, writeNarToBytes };
