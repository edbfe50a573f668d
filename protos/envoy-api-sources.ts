// Where the Envoy API protos come from: the npm package @grpc/grpc-js-xds vendors envoy-api, xds (udpa),
// googleapis and protoc-gen-validate under deps/. We read them from there and never copy them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Directories that proto imports are resolved against, in order. */
export function protoIncludeDirs(): string[] {
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const vendored = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((name) => join(deps, name));
  // descriptor.proto (imported by the option annotations) is shipped by protobufjs itself.
  return [...vendored, dirname(require.resolve('protobufjs/package.json'))];
}

/** Resolves an import to a file in the include dirs, or undefined when no package ships it. */
export function resolveImport(includeDirs: readonly string[], path: string): string | undefined {
  for (const dir of includeDirs) {
    const candidate = join(dir, path);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Every proto file of the Envoy and xDS APIs whose imports are all shipped, as import paths.
 * The package vendors only part of the API tree: files that need protos it leaves out (the v2 API,
 * OpenCensus, OpenTelemetry, Prometheus) could never resolve, so they are left out too.
 */
export function envoyApiFiles(includeDirs: readonly string[]): string[] {
  const [envoyApi, xds] = includeDirs;
  const candidates = [
    ...protoFilesUnder(envoyApi!, 'envoy'),
    ...protoFilesUnder(xds!, 'xds'),
    ...protoFilesUnder(xds!, 'udpa'),
  ];
  const complete = new Map<string, boolean>();
  const isComplete = (path: string): boolean => {
    const known = complete.get(path);
    if (known !== undefined) return known;
    if (protobuf.common.get(path) !== null) return true;
    const file = resolveImport(includeDirs, path);
    if (file === undefined) return false;
    const result = importsOf(readFileSync(file, 'utf8')).every(isComplete);
    complete.set(path, result);
    return result;
  };
  return candidates.filter(isComplete);
}

function protoFilesUnder(includeDir: string, folder: string): string[] {
  const root = join(includeDir, folder);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.proto'))
    .map((path) => relative(includeDir, join(root, path)))
    .sort();
}

const IMPORT = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

function importsOf(source: string): string[] {
  return Array.from(source.matchAll(IMPORT), (match) => match[1]!);
}
