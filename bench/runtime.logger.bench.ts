// runtime.logger: what a log line costs with the logger's redaction (secret-named fields, and secret-looking values
// in every string: runtime/secret-text.ts) against plain pino writing the same line, in one run.
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger } from '../runtime/logger.ts';
import { redactText } from '../runtime/secret-text.ts';
import { report } from './report.ts';

const LINES = 200_000;

/** A line as the controller writes them: an actor, an object key, a status reason, a message. */
function logLines(logger: pino.Logger): number {
  const started = performance.now();
  for (let i = 0; i < LINES; i++) {
    logger.info(
      {
        object: `HTTPRoute apps/route-${i}`,
        origin: `routes/route-${i}.yaml:12`,
        reason: 'BackendNotFound',
        detail: { message: `spec.rules[0].backendRefs[0]: Service apps/web-${i} not found` },
      },
      'route stopped working',
    );
  }
  return ((performance.now() - started) * 1000) / LINES;
}

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

const child = (logger: pino.Logger) => logger.child({ actor: 'route-evaluator' });
const redacting = child(createLogger({ level: 'info', destination: sink() }));
const plain = child(pino({ level: 'info', base: { service: 'switchyard' } }, sink()));
logLines(redacting); // warm-up
logLines(plain);
const withRedaction = logLines(redacting);
const withoutRedaction = logLines(plain);
report('runtime.logger', 'line_redacted', withRedaction, 'µs');
report('runtime.logger', 'line_plain_pino', withoutRedaction, 'µs');
report('runtime.logger', 'redaction_ratio', withRedaction / withoutRedaction, 'x');

// The text pass alone, on a string with nothing to redact (most) and on one with a bearer token.
function perString(text: string): number {
  const started = performance.now();
  let length = 0;
  for (let i = 0; i < LINES; i++) length += redactText(text).length;
  if (length === 0) throw new Error('nothing measured');
  return ((performance.now() - started) * 1e6) / LINES;
}
report(
  'runtime.logger',
  'text_pass_clean_80_chars',
  perString('spec.rules[0].backendRefs[0]: Service apps/web not found in namespace apps'),
  'ns',
);
report(
  'runtime.logger',
  'text_pass_bearer_80_chars',
  perString('upstream answered 401 to Authorization: Bearer sk-live-0123456789abcdef'),
  'ns',
);
