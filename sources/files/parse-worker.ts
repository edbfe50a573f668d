// The worker thread that parses a large manifest file (sources/files/manifests.ts, parseOffThread): YAML parsing
// of tens of MB takes seconds, which must not be seconds without probes, watches or xDS on the main thread. Each
// document goes back as JSON text, which the main thread parses in steps.
import { parentPort } from 'node:worker_threads';
import { type ParseWorkerReply, parseManifests } from './manifests.ts';

parentPort?.once('message', ({ file, text }: { file: string; text: string }) => {
  const parsed = parseManifests(file, text);
  const reply: ParseWorkerReply = {
    errors: parsed.errors,
    origins: parsed.documents.map((document) => document.origin),
    json: parsed.documents.map((document) => JSON.stringify(document.object)),
  };
  parentPort?.postMessage(reply);
});
