// Installed into another project, Switchyard's TypeScript sits under node_modules, where Node refuses to strip
// types (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): `npx switchyard` failed before running anything. This hook
// strips them itself for this package's own files — with Node's own stripper (module.stripTypeScriptTypes), so
// what runs is what `node cli/switchyard.ts` runs from a checkout. cli/switchyard.mjs loads it first; a checkout
// (no node_modules in the path) never needs it.
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

/** This package's folder, as a file URL ending in a slash. */
const PACKAGE = new URL('../', import.meta.url).href;

/** Whether Node would refuse to strip this package's files: it lies under a node_modules folder. */
export const INSTALLED = fileURLToPath(PACKAGE).split(/[\\/]/).includes('node_modules');

if (INSTALLED) {
  registerHooks({
    load(url, context, next) {
      if (!url.startsWith(PACKAGE) || !url.endsWith('.ts') || url.includes('/node_modules/', PACKAGE.length))
        return next(url, context);
      const source = readFileSync(fileURLToPath(url), 'utf8');
      return { format: 'module', source: stripQuietly(source), shortCircuit: true };
    },
  });
  // What runs in another process or thread of the command needs the hook too: cluster forks (extproc workers) take
  // process.execArgv as it is when they start; worker threads are given the --import flags
  // (runtime/worker-exec-argv.ts), as they take only the flags the process started with.
  if (!process.execArgv.includes(import.meta.url)) process.execArgv.push('--import', import.meta.url);
}

/** Node's stripper, without the experimental-feature warning it prints once: Node strips a checkout's files as silently. */
function stripQuietly(source) {
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    if (!String(typeof warning === 'string' ? warning : warning?.message).includes('stripTypeScriptTypes'))
      emitWarning.call(process, warning, ...rest);
  };
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}
