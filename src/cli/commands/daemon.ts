/**
 * `nix-compat daemon ...`, `export-paths` and `import-paths`: talk to a running nix-daemon over
 * the worker protocol, with the output of `nix path-info --json`, `nix store dump-path`,
 * `nix-store --check-validity` and `nix-store --export` (Nix 2.8).
 *
 * @module
 */
import { lstatSync, readlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { formatContentAddress } from "../../core/content-address.js";
import { NixCompatError, quoteInput } from "../../core/errors.js";
import { formatHash, hashEquals } from "../../core/hash.js";
import { createHasher } from "../../core/hasher.js";
import type { DaemonClient } from "../../daemon/client.js";
import { openDaemonClient } from "../../daemon/node-client.js";
import { checkStorePath } from "../../daemon/wire/primitives.js";
import type { PathInfo } from "../../daemon/wire/types.js";
import { openInputStream, writeStdoutSync } from "../io.js";

// Start-up time counts (`daemon dump-path` is compared with Nix's whole command): the export
// format (and the NAR grammar under it) is imported only by the commands that use it.

/** Chunks at least this large are written to stdout as they come, smaller ones gathered. */
const DIRECT_WRITE_BYTES = 64 << 10;

/**
 * Writes chunks to stdout synchronously: large ones as they are (no copy), small ones (export
 * headers, NAR tokens) gathered into one buffer first. Each chunk is done with when `write`
 * returns, which lets `narFromPath` reuse its memory (`reuseBuffers`).
 */
export class OutWriter {
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private n = 0;
  write(c: Uint8Array): void {
    if (c.length >= DIRECT_WRITE_BYTES) {
      this.flush();
      writeStdoutSync(c);
      return;
    }
    if (this.n + c.length > this.buf.length) this.flush();
    this.buf.set(c, this.n);
    this.n += c.length;
  }
  flush(): void {
    if (this.n > 0) writeStdoutSync(this.buf.subarray(0, this.n));
    this.n = 0;
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Follows symlinks until the path is in the store (Nix's `followLinksToStore`). */
function followLinksToStore(arg: string, storeDir: string): string {
  let path = resolve(arg);
  for (let i = 0; i < 64 && !path.startsWith(`${storeDir}/`); i++) {
    let target: string;
    try {
      if (!lstatSync(path).isSymbolicLink()) break;
      target = readlinkSync(path);
    } catch {
      break;
    }
    path = resolve(dirname(path), target);
  }
  return path;
}

/** The store path a command-line argument names (a path inside one is cut to it). */
export function toStorePath(given: string): string {
  const storeDir = process.env.NIX_STORE_DIR ?? "/nix/store";
  const arg = followLinksToStore(given, storeDir);
  if (!arg.startsWith(`${storeDir}/`)) {
    throw new NixCompatError(
      "daemon.not-in-store",
      `path ${quoteInput(arg)} is not in the Nix store`,
    );
  }
  const rest = arg.slice(storeDir.length + 1);
  const slash = rest.indexOf("/");
  const path = slash < 0 ? arg : `${storeDir}/${rest.slice(0, slash)}`;
  const problem = checkStorePath(path);
  if (problem !== undefined) throw new NixCompatError("daemon.invalid-path", problem);
  return path;
}

/** Store paths of the arguments, deduplicated and in Nix's order (by base name). */
export function storePathSet(args: readonly string[]): string[] {
  const set = [...new Set(args.map(toStorePath))];
  return set.sort((a, b) => (baseName(a) < baseName(b) ? -1 : baseName(a) > baseName(b) ? 1 : 0));
}

/** `nix path-info --json` (Nix 2.8) of one path. */
export function pathInfoJson(info: PathInfo): Record<string, unknown> {
  const o: Record<string, unknown> = {
    path: info.path,
    narHash: formatHash(info.narHash, "sri"),
    narSize: info.narSize,
    references: info.references,
  };
  if (info.ca !== undefined) o.ca = formatContentAddress(info.ca);
  if (info.deriver !== undefined) o.deriver = info.deriver;
  if (info.registrationTime !== 0) o.registrationTime = info.registrationTime;
  if (info.ultimate) o.ultimate = true;
  if (info.sigs.length > 0) o.signatures = info.sigs;
  return o;
}

async function withClient<T>(
  store: string | undefined,
  fn: (c: DaemonClient) => Promise<T>,
): Promise<T> {
  const client = openDaemonClient({ store });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** The order `nix-store --export` writes paths in: references before their referrers. */
export function exportOrder(
  paths: readonly string[],
  references: (p: string) => readonly string[],
): string[] {
  const byName = (a: string, b: string) =>
    baseName(a) < baseName(b) ? -1 : baseName(a) > baseName(b) ? 1 : 0;
  const items = new Set(paths);
  const visited = new Set<string>();
  const parents = new Set<string>();
  const out: string[] = [];
  const visit = (p: string, parent: string | undefined) => {
    if (parents.has(p)) {
      throw new NixCompatError(
        "daemon.reference-cycle",
        `cycle detected in the references of '${parent}' from '${p}'`,
      );
    }
    if (visited.has(p)) return;
    visited.add(p);
    parents.add(p);
    for (const r of [...new Set(references(p))].sort(byName)) {
      if (r !== p && items.has(r)) visit(r, p);
    }
    out.push(p);
    parents.delete(p);
  };
  for (const p of [...items].sort(byName)) visit(p, undefined);
  return out;
}

/**
 * The path's NAR from the daemon, refusing (after it, as Nix does) a NAR whose hash is not the
 * one registered: an export must not spread a corrupted path.
 */
async function* checkedNar(c: DaemonClient, info: PathInfo): AsyncGenerator<Uint8Array> {
  const h = createHasher("sha256");
  for await (const chunk of c.narFromPath(info.path)) {
    h.update(chunk);
    yield chunk;
  }
  const got = { algorithm: "sha256" as const, digest: h.digest() };
  if (!hashEquals(got, info.narHash)) {
    throw new NixCompatError(
      "daemon.hash-changed",
      `hash of path '${info.path}' has changed from '${formatHash(info.narHash, "nix32")}' to '${formatHash(got, "nix32")}'!`,
    );
  }
}

const STORE_HELP = "the store to talk to: 'daemon' (default) or unix://SOCKET";

/** Registers this area's commands on `program`. */
export function registerDaemonCommands(program: Command): void {
  const daemon = program
    .command("daemon")
    .description("talk to a running nix-daemon over the worker protocol");

  daemon
    .command("path-info")
    .description("query a running nix-daemon over the worker protocol (nix path-info)")
    .option("--json", "print JSON, as nix path-info --json")
    .option("--store <url>", STORE_HELP)
    .argument("<paths...>", "store paths")
    .action(async (args: string[], opts: { json?: boolean; store?: string }) => {
      const paths = storePathSet(args);
      const infos = await withClient(opts.store, (c) =>
        Promise.all(paths.map((p) => c.queryPathInfo(p))),
      );
      if (opts.json) {
        const list = paths.map((p, i) => {
          const info = infos[i];
          return info === undefined ? { path: p, valid: false } : pathInfoJson(info);
        });
        writeStdoutSync(Buffer.from(JSON.stringify(list)));
        return;
      }
      const invalid = paths.find((_, i) => infos[i] === undefined);
      if (invalid !== undefined) {
        throw new NixCompatError("daemon.invalid-path", `path ${quoteInput(invalid)} is not valid`);
      }
      // Nix prints plain path-info in dependency order (references first).
      const refs = new Map(infos.map((i) => [i!.path, i!.references]));
      const order = exportOrder(paths, (p) => refs.get(p) ?? []);
      writeStdoutSync(Buffer.from(order.map((p) => `${p}\n`).join("")));
    });

  daemon
    .command("dump-path")
    .description("fetch a path's NAR from the daemon (nix store dump-path)")
    .option("--store <url>", STORE_HELP)
    .argument("<path>", "store path")
    .action(async (arg: string, opts: { store?: string }) => {
      const path = toStorePath(arg);
      await withClient(opts.store, async (c) => {
        // A daemon asked for an invalid path starts the NAR before failing: check first.
        if (!(await c.isValidPath(path))) {
          throw new NixCompatError("daemon.invalid-path", `path ${quoteInput(path)} is not valid`);
        }
        const out = new OutWriter();
        try {
          for await (const chunk of c.narFromPath(path, { reuseBuffers: true })) out.write(chunk);
        } finally {
          out.flush();
        }
      });
    });

  daemon
    .command("is-valid")
    .description(
      "exit 0 if the daemon knows every path as valid, else 1 (nix-store --check-validity)",
    )
    .option("--store <url>", STORE_HELP)
    .option("--print-invalid", "print the invalid paths instead of failing on the first one")
    .argument("<paths...>", "store paths")
    .action(async (args: string[], opts: { store?: string; printInvalid?: boolean }) => {
      // Nix checks the arguments in the order given and stops at the first invalid one.
      await withClient(opts.store, async (c) => {
        for (const arg of args) {
          const path = toStorePath(arg);
          if (await c.isValidPath(path)) continue;
          if (!opts.printInvalid) {
            throw new NixCompatError(
              "daemon.invalid-path",
              `path ${quoteInput(path)} is not valid`,
            );
          }
          writeStdoutSync(Buffer.from(`${path}\n`));
        }
      });
    });

  program
    .command("export-paths")
    .description("write the nix-store --export stream of the given paths")
    .option("--store <url>", STORE_HELP)
    .argument("<paths...>", "store paths")
    .action(async (args: string[], opts: { store?: string }) => {
      const paths = storePathSet(args);
      const { writeExport } = await import("../../export/index.js");
      await withClient(opts.store, async (c) => {
        const infos = new Map<string, PathInfo>();
        const got = await Promise.all(paths.map((p) => c.queryPathInfo(p)));
        got.forEach((info, i) => {
          if (info === undefined) {
            throw new NixCompatError(
              "daemon.invalid-path",
              `path ${quoteInput(paths[i] ?? "")} is not valid`,
            );
          }
          infos.set(info.path, info);
        });
        const order = exportOrder(paths, (p) => infos.get(p)!.references);
        const out = new OutWriter();
        try {
          for await (const chunk of writeExport(
            order.map((p) => ({ ...infos.get(p)!, nar: checkedNar(c, infos.get(p)!) })),
          )) {
            out.write(chunk);
          }
        } finally {
          out.flush();
        }
      });
    });

  program
    .command("import-paths")
    .description("read a nix-store --export stream and print what it holds, as JSON")
    .argument("<file>", "the export stream ('-' for standard input)")
    .action(async (file: string) => {
      const { readExport } = await import("../../export/index.js");
      const list: Record<string, unknown>[] = [];
      for await (const p of readExport(openInputStream(file))) {
        list.push({
          path: p.path,
          narHash: formatHash(p.narHash, "nix32"),
          narSize: p.narSize,
          references: p.references,
          deriver: p.deriver ?? null,
        });
      }
      writeStdoutSync(Buffer.from(`${JSON.stringify(list)}\n`));
    });
}
