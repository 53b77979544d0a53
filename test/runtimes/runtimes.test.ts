/**
 * The portable suite (`suite.mjs`) from the packed package, in Node, headless Chromium and
 * workerd. Chromium and workerd are skipped, visibly, only where they are absent
 * (`.ci/run` installs Debian's `chromium`; `workerd` is a devDependency).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findChromium,
  findProcessRuntime,
  findWorkerd,
  NODE,
  packAndInstall,
  runInChromium,
  runInProcess,
  runInWorkerd,
  type SuiteReport,
  type SuiteServer,
  startServer,
} from "./harness.js";

const chromium = findChromium();
const workerd = findWorkerd();
const deno = findProcessRuntime("deno");
const bun = findProcessRuntime("bun");

function warnSkipped(what: string, how: string): void {
  process.stderr.write(
    `\n*** ${what} is not installed: its runtime suite is SKIPPED. ${how} ***\n\n`,
  );
}
if (!chromium)
  warnSkipped("Chromium", "Install it with `apt-get install -y chromium` (.ci/run does).");
for (const [name, found] of [
  ["workerd", workerd],
  ["Deno", deno],
  ["Bun", bun],
] as const) {
  if (!found)
    warnSkipped(name, `It comes with \`npm ci\` (devDependency \`${name.toLowerCase()}\`).`);
}

/** Every check of the suite passed: the failures are listed with their errors otherwise. */
function expectAllPassed(report: SuiteReport, runtime: string): void {
  const ms = report.checks.reduce((n, c) => n + c.ms, 0);
  console.log(`${runtime}: ${report.checks.length} checks in ${ms} ms`);
  expect(report.runtime).toBe(runtime);
  const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`);
  expect(failed).toEqual([]);
  expect(report.checks.length).toBeGreaterThanOrEqual(11);
}

describe("the portable suite from the packed package", () => {
  let consumer = "";
  let server: SuiteServer;

  beforeAll(async () => {
    consumer = packAndInstall();
    server = await startServer(consumer);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    if (consumer) rmSync(consumer, { recursive: true, force: true });
  });

  it("in Node", async () => {
    expectAllPassed(await runInProcess(NODE, consumer, server), "node");
  }, 90_000);

  it.skipIf(!chromium)(
    `in headless Chromium, without a bundler (import map)${chromium ? "" : " [SKIPPED: no chromium]"}`,
    async () => {
      expectAllPassed((await runInChromium(chromium!, server)) as SuiteReport, "browser");
    },
    90_000,
  );

  it.skipIf(!chromium)(
    `the README's browser example, as written, in headless Chromium${chromium ? "" : " [SKIPPED: no chromium]"}`,
    async () => {
      const got = await runInChromium(chromium!, server, "/readme.html", "readme");
      expect(got).toEqual({
        printed: [
          [
            {
              type: "directory",
              entries: {
                ".keep": { type: "regular", size: 0, narOffset: 232 },
                aa: { type: "symlink", target: "/nix/store/somewhereelse" },
                keep: {
                  type: "directory",
                  entries: { ".keep": { type: "regular", size: 0, narOffset: 760 } },
                },
              },
            },
          ],
          ["/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv"],
        ],
      });
    },
    90_000,
  );

  it.skipIf(!workerd)(
    `in workerd, with readNar over a fetch() body${workerd ? "" : " [SKIPPED: no workerd]"}`,
    async () => {
      expectAllPassed(await runInWorkerd(workerd!, consumer, server), "workerd");
    },
    90_000,
  );

  for (const runtime of [deno, bun]) {
    const name = runtime === deno ? "Deno" : "Bun";
    it.skipIf(!runtime)(
      `in ${name}${runtime ? "" : ` [SKIPPED: no ${name}]`}`,
      async () => {
        expectAllPassed(await runInProcess(runtime!, consumer, server), name.toLowerCase());
      },
      90_000,
    );
  }
});
