#!/usr/bin/env node
// `switchyard` as installed (package.json "bin"). JavaScript, so that Node's compile cache is on before the first
// TypeScript file loads: started as cli/switchyard.ts, Node strips that file and what it imports with its
// TypeScript stripper (a WebAssembly module it must load and compile, ~60 ms of CPU) before the cache can be turned
// on; from here a run whose modules are all in the cache never loads the stripper (bench/translate.startup). The
// place is the one cli/switchyard.ts names (its `runAsProcess` turns the cache on for `node cli/switchyard.ts`).
// First: installed under node_modules, Node strips no TypeScript of its own accord (cli/installed-types.mjs).
import './installed-types.mjs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

enableCompileCache(
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard', 'node-compile-cache'),
);
const { runAsProcess } = await import('./switchyard.ts');
runAsProcess();
