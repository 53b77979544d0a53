/**
 * The package as a consumer gets it: `npm pack` of the built repository, unpacked into a fresh
 * consumer project's `node_modules/nix-compat`. The package's dependencies are symlinked from
 * the repository's `node_modules` (the versions `npm ci` installed), so no network and no npm
 * install is needed. TypeScript runs from the repository's own `typescript`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "./fixtures.js";

/** What `npm pack --json` says about the tarball. */
export interface PackInfo {
  /** Absolute path of the tarball. */
  readonly tarball: string;
  /** Size of the tarball in bytes. */
  readonly size: number;
  /** Sum of the unpacked files' sizes in bytes. */
  readonly unpackedSize: number;
  /** Paths of the files in the package, relative to its root. */
  readonly files: readonly string[];
}

/** Packs the repository (as built in `dist/`) into `dir`. */
export function packRepository(dir: string): PackInfo {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_ignore_scripts: "true" },
  });
  const [info] = JSON.parse(out) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  if (info === undefined) throw new Error(`npm pack printed no package: ${out}`);
  return {
    tarball: join(dir, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files.map((f) => f.path),
  };
}

/** A consumer project with the packed package installed. */
export interface ConsumerProject {
  /** The project's root (holds `package.json` and `node_modules`). */
  readonly dir: string;
  /** The packed tarball and what npm said of it. */
  readonly pack: PackInfo;
  /** Writes a file below the project root. */
  write(path: string, text: string): string;
  /** Runs the repository's `tsc` with these arguments in the project; returns its output and status. */
  tsc(args: readonly string[]): { status: number | null; output: string };
  /** Removes the project. */
  remove(): void;
}

/** Packages a consumer may link besides the package's dependencies (types, peer dependencies). */
export type ExtraPackage = "@types/node" | "fast-check";

/**
 * Installs the packed tarball into a fresh ESM consumer project, with the dependencies (and
 * `extra` packages) linked from the repository's `node_modules`.
 */
export function createConsumerProject(
  pack: PackInfo,
  extra: readonly ExtraPackage[] = [],
): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-consumer-"));
  const installed = join(dir, "node_modules", "nix-compat");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["xzf", pack.tarball, "-C", installed, "--strip-components=1"]);
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  for (const name of [...Object.keys(manifest.dependencies ?? {}), ...extra]) {
    const link = join(dir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules", name), link, "dir");
  }
  const write = (path: string, text: string): string => {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    return abs;
  };
  write("package.json", JSON.stringify({ name: "consumer", private: true, type: "module" }));
  return {
    dir,
    pack,
    write,
    tsc(args) {
      const r = spawnSync(
        process.execPath,
        [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), ...args],
        { cwd: dir, encoding: "utf8" },
      );
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
