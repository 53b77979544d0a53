// Baseline for bench/nar-dump-compiled.bench.mjs: the hand-written NAR buffer emitter (src/nar/nar-buffer-emitter.ts), as it was in src
// before issue 12 replaced it with the declaration's generated event writer (base 1594d37),
// transpiled to JavaScript and importing the built library (dist/). Not shipped, not tested:
// the bench compares the compiled writer against it.
import { padLength, writeU64 } from "../../dist/codecs/wire-bytes.js";
import { NAR_HEADERS } from "../../dist/nar/nar-tokens.js";
const NAR_EMIT_MAX_HEADER = 128;
const H = NAR_HEADERS;
class NarBufferEmitter {
  /** @param buf the output buffer (the caller flushes `buf[0, at)` and resets `at`). */
  constructor(buf) {
    this.buf = buf;
  }
  buf;
  /** Where the next byte goes. */
  at = 0;
  /** `nix-archive-1`. */
  magic() {
    this.put(H.magic);
  }
  /** `( type directory`. */
  directory() {
    this.put(H.directory);
  }
  /** `entry ( name NAME node` (the child node follows). */
  entry(name) {
    this.put(H.entry);
    this.text(name);
    this.put(H.node);
  }
  /** `( type regular [executable ""] contents SIZE` (the contents follow). */
  regular(size, executable) {
    this.put(executable ? H.executable : H.regular);
    writeU64(this.buf, this.at, size);
    this.at += 8;
  }
  /** Contents bytes of the current file (the caller may also write them into `buf` itself). */
  contents(bytes) {
    this.put(bytes);
  }
  /** The padding after `size` bytes of contents and the file's `)`. */
  endRegular(size) {
    this.zeros(padLength(size));
    this.put(H.close);
  }
  /** `( type symlink target TARGET )`. */
  symlink(target) {
    this.put(H.symlink);
    this.text(target);
    this.put(H.close);
  }
  /** `)`: closes a directory node or an entry. */
  close() {
    this.put(H.close);
  }
  /** A framed string given one character per byte. */
  text(text) {
    const n = text.length;
    writeU64(this.buf, this.at, n);
    const b = this.buf;
    const at = this.at + 8;
    for (let i = 0; i < n; i++) b[at + i] = text.charCodeAt(i);
    this.at = at + n;
    this.zeros(padLength(text.length));
  }
  put(b) {
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  zeros(n) {
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.at + i] = 0;
    this.at += n;
  }
}
export { NAR_EMIT_MAX_HEADER, NarBufferEmitter };
