// Builds the unpacked extension into build/: one esbuild bundle per entry (ES2022, no
// source maps in the package, nothing evaluated at run time) and the static files copied
// beside them. The browser tests make their own manifest from build/ (tests/extension/harness.py).
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "build");

// Each entry that exists is bundled to build/<name>.js (an entry owned by another engineer
// may not be written yet).
const entries = {
  service_worker: "src/service_worker.ts",
  sidepanel: "src/sidepanel/main.ts",
  options: "src/options/main.ts",
  content: "src/content.ts",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(root, "static"), out, { recursive: true });

const points = Object.fromEntries(
  Object.entries(entries).filter(([, file]) => existsSync(join(root, file))),
);
await build({
  entryPoints: Object.fromEntries(
    Object.entries(points).map(([name, file]) => [name, join(root, file)]),
  ),
  outdir: out,
  bundle: true,
  format: "iife",
  target: "chrome120",
  minify: false,
  legalComments: "none",
  logLevel: "warning",
});
console.log(`built ${Object.keys(points).join(", ")} into ${out}`);
