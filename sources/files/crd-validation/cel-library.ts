// @bufbuild/cel, its string extensions and RE2, loaded when a CRD's rule or pattern is first used: with the protobuf
// descriptors CEL builds as it loads, the library is ~170 modules, and a run whose kinds have no rules, or a
// controller in cluster mode, needs none of it (bench/translate.startup). Loaded with `require` so that a schema
// check stays synchronous; every file of crd-validation takes the library from here, so one copy is loaded.
import { createRequire } from 'node:module';
import type * as Cel from '@bufbuild/cel';
import type * as CelExtensions from '@bufbuild/cel/ext';
import type * as Re2 from '@bufbuild/re2';

const load = createRequire(import.meta.url);

let cel: typeof Cel | undefined;
let extensions: typeof CelExtensions | undefined;
let re2: typeof Re2 | undefined;

export function celLibrary(): typeof Cel {
  cel ??= load('@bufbuild/cel') as typeof Cel;
  return cel;
}

export function celExtensions(): typeof CelExtensions {
  extensions ??= load('@bufbuild/cel/ext') as typeof CelExtensions;
  return extensions;
}

/** RE2 as Go's regexp (and so the API server) has it: a schema's `pattern`, CEL's `matches`. */
export function re2Library(): typeof Re2 {
  re2 ??= load('@bufbuild/re2') as typeof Re2;
  return re2;
}
