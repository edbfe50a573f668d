// Every field the Envoy API marks `(udpa.annotations.sensitive)` (Envoy's own config dump redacts them) is in the
// table of secret fields that `translate`, `replay` and the inspector redact: a proto update that adds one fails
// here until the table lists it.
import protobuf from 'protobufjs';
import { expect, it } from 'vitest';
import { SECRET_FIELDS } from '../model/shared/secret-fields.ts';
import { envoyApi } from './envoy-api.ts';

function sensitiveFields(namespace: protobuf.NamespaceBase, found: string[] = []): string[] {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const field of nested.fieldsArray)
        if (field.options?.['(udpa.annotations.sensitive)'] === true)
          found.push(`${nested.fullName.slice(1)}.${field.name}`);
    }
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type)
      sensitiveFields(nested, found);
  }
  return found;
}

it("lists every sensitive field of the shipped Envoy protos, and only those it names as Envoy's", () => {
  const sensitive = sensitiveFields(envoyApi().root).sort();
  expect(sensitive.length).toBeGreaterThan(10);
  const listed = SECRET_FIELDS.flatMap((entry) => entry.proto ?? []).sort();
  expect(listed).toEqual(sensitive);
});

it('names each Any-packed carrier by a message the protos define, with the listed field', () => {
  const api = envoyApi();
  for (const entry of SECRET_FIELDS) {
    if (!('type' in entry.carrier)) continue;
    const message = api.messageType(entry.carrier.type);
    const first = entry.path[0] ?? '';
    expect(
      message.fieldsArray.map((field) => field.name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())),
      entry.what,
    ).toContain(first);
  }
});
