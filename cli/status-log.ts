// Standalone mode has no API server to read statuses from, so the log says when an object stops working as written
// (a condition that fails, as `translate` counts them, or Programmed False: the data plane refused it) and when it
// works again: one line each, where the object is defined first. Unchanged statuses say nothing.
import type { Logger } from 'pino';
import type { StatusWrite } from '../actors/patchers/index.ts';
import { describeResourceKey, formatResourceKey, type ResourceKey } from '../model/resources/resource-key.ts';
import { failingConditions } from '../model/shared/conditions.ts';

export function loggingStatusChanges(
  write: (write: StatusWrite) => Promise<unknown>,
  logger: Logger,
  /** Where the object is defined (`file:line`), when known. */
  definedAt: (key: ResourceKey) => string | undefined,
): (write: StatusWrite) => Promise<unknown> {
  /** object id → what fails in its last status written */
  const failing = new Map<string, string>();
  return async (statusWrite) => {
    const result = await write(statusWrite);
    const { key } = statusWrite;
    const id = formatResourceKey(key);
    const now = failingConditions(statusWrite.status, { programmed: true }).join('; ');
    const before = failing.get(id);
    // Nothing failed before and nothing fails now (nearly every write of a full sync): nothing to say.
    if (now === (before ?? '')) return result;
    const object = describeResourceKey(key);
    const origin = definedAt(key);
    const where = origin === undefined ? '' : `${origin}: `;
    if (now !== '') {
      failing.set(id, now);
      logger.warn(
        { object, works: false, ...(origin === undefined ? {} : { origin }) },
        `${where}${object}: ${now}`,
      );
    } else if (before !== undefined) {
      failing.delete(id);
      logger.info(
        { object, works: true, ...(origin === undefined ? {} : { origin }) },
        `${where}${object} works again`,
      );
    }
    return result;
  };
}
