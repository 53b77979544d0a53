// Empties dist/ before a build, so that files of an earlier build (source maps, renamed
// modules) are never packed.
import { rmSync } from "node:fs";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
