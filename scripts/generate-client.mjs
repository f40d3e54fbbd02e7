#!/usr/bin/env node
// Generates a TypeScript client (fetch client + typed SDK) from the committed OpenAPI document with
// @hey-api/openapi-ts, then type-checks the generated code with tsc, so that a document producing
// uncompilable code fails here. The output is a build product: it lives in a gitignored directory
// and is never committed.
//
//   node scripts/generate-client.mjs [--input openapi.json] [--output test-artifacts/generated-client]
//                                    [--typecheck-with <file.ts>]... [--no-typecheck]
//
// --typecheck-with adds files that use the generated client (e.g. test/e2e/generated-client.e2e.ts)
// to the tsc run, so their typed use of the SDK is checked against the generated types too. Those
// files are compiled with the repository's test settings (tsconfig.test.json) and import the
// client's types as 'generated-istio-api-client' (and '.../client/index.js' etc.), a name only this
// tsc run maps to the output directory; a guard file makes the run fail if that mapping breaks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The bare module name under which type-checked files import the generated client's types. */
const CLIENT_MODULE = 'generated-istio-api-client';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: 'openapi.json' },
    output: { type: 'string', default: 'test-artifacts/generated-client' },
    'typecheck-with': { type: 'string', multiple: true, default: [] },
    'no-typecheck': { type: 'boolean', default: false },
  },
});

const input = resolve(root, values.input);
const output = resolve(root, values.output);
const log = (message) => process.stderr.write(`[generate-client] ${message}\n`);

function fail(message) {
  log(`FAILED: ${message}`);
  process.exit(1);
}

if (!existsSync(input)) fail(`no OpenAPI document at ${input}`);
// hey-api empties the output directory, and generated code must never be committed: only write to a
// dedicated directory inside the repository that git ignores.
const outputRel = relative(root, output);
if (!outputRel || outputRel.startsWith('..') || !gitIgnores(outputRel)) {
  fail(`refusing to write generated code to ${output}: use a gitignored directory such as test-artifacts/generated-client`);
}

function gitIgnores(path) {
  try {
    execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: root, stdio: 'ignore' });
    return true;
  } catch (error) {
    // 1: not ignored; anything else (no git, not a work tree, e.g. an exported source tarball): nothing to protect.
    return error.status !== 1;
  }
}

const { createClient } = await import('@hey-api/openapi-ts');
const started = Date.now();
try {
  await createClient({
    input,
    output: {
      path: output,
      clean: true,
      // The repo compiles with moduleResolution nodenext: relative imports need an extension.
      module: { extension: '.js' },
      tsConfigPath: join(root, 'tsconfig.json'),
    },
    logs: { file: false, level: 'warn' },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  });
} catch (error) {
  fail(`@hey-api/openapi-ts could not generate a client from ${relative(root, input)}: ${error?.stack ?? error}`);
}
if (!existsSync(join(output, 'index.ts')) || !existsSync(join(output, 'sdk.gen.ts'))) fail(`no index.ts/sdk.gen.ts in ${output}`);
log(`generated ${relative(root, output)} from ${relative(root, input)} in ${Date.now() - started} ms`);

if (!values['no-typecheck']) {
  // A tsconfig next to the generated code: the repository's compiler settings (strict, nodenext),
  // plus the DOM library (the fetch client uses BodyInit, which @types/node does not declare
  // globally); the generated files, a guard, and the files that use them. Those import the client's
  // types by the bare name CLIENT_MODULE, which only this tsconfig maps to the generated code.
  const extra = values['typecheck-with'].map((file) => resolve(root, file));
  for (const file of extra) if (!existsSync(file)) fail(`--typecheck-with ${file}: no such file`);
  mkdirSync(output, { recursive: true });
  const tsconfigPath = join(output, 'tsconfig.typecheck.json');
  writeFileSync(
    join(output, 'typecheck-guard.ts'),
    [
      '// Written by scripts/generate-client.mjs: fails the type-check if the client module name does not resolve',
      '// to the generated code (files that import its types would otherwise silently see `any`).',
      `import type * as Client from '${CLIENT_MODULE}';`,
      'type IsAny<T> = 0 extends 1 & T ? true : false;',
      'export const resolved: IsAny<typeof Client.status> = false;',
      '',
    ].join('\n'),
  );
  writeFileSync(
    tsconfigPath,
    JSON.stringify(
      {
        extends: relative(output, join(root, 'tsconfig.test.json')),
        compilerOptions: {
          noEmit: true,
          rootDir: relative(output, root),
          lib: ['es2023', 'dom', 'dom.iterable'],
          types: ['node', 'jest'],
          paths: { [CLIENT_MODULE]: ['./index.ts'], [`${CLIENT_MODULE}/*`]: ['./*'] },
        },
        include: ['./**/*.ts'],
        files: extra.map((file) => relative(output, file)),
      },
      null,
      2,
    ) + '\n',
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const checkStarted = Date.now();
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfigPath, '--pretty', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const text = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || String(error);
    fail(`the generated client does not type-check (tsc -p ${relative(root, tsconfigPath)}):\n${text}`);
  }
  log(`tsc: generated client${extra.length ? ` + ${extra.map((file) => relative(root, file)).join(', ')}` : ''} type-check (${Date.now() - checkStarted} ms)`);
}

