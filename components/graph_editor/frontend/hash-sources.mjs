// The sources' fingerprint, so a Python test can tell when dist/ is older than the code it was built from.
// sha256 over the sorted relative paths; for each: path bytes, NUL, file bytes, NUL.
// `node hash-sources.mjs` prints it; `--write` also writes dist/source-hash.txt (the build's last step).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const TOP_FILES = ["index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"];

function filesUnder(folder) {
  return readdirSync(join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

export function sourceHash() {
  // Plain code-unit order, the same as Python's sorted() for these ASCII names.
  const paths = [...TOP_FILES, ...filesUnder("src")].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256");
  const nul = Buffer.from([0]);
  for (const path of paths) {
    hash.update(Buffer.from(path, "utf8"));
    hash.update(nul);
    hash.update(readFileSync(join(root, path)));
    hash.update(nul);
  }
  return hash.digest("hex");
}

const digest = sourceHash();
if (process.argv.includes("--write")) writeFileSync(join(root, "dist", "source-hash.txt"), digest);
console.log(digest);
