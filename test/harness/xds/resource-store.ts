// The resources a test ADS server serves, per type URL, encoded once when set. Each resource keeps its
// version while its bytes are unchanged, so delta streams resend only what really changed.
import { type Any, envoyApi } from '../../../protos/index.ts';

export interface StoredResource {
  name: string;
  version: string;
  any: Any;
}

interface TypeState {
  version: string;
  resources: Map<string, StoredResource>;
}

export class ResourceStore {
  readonly #types = new Map<string, TypeState>();
  readonly #listeners = new Set<(typeUrl: string) => void>();
  #counter = 0;

  /** Replaces every resource of a type (proto3 JSON by name); returns the type's new version. */
  set(typeUrl: string, resources: Readonly<Record<string, unknown>>): string {
    const version = String(++this.#counter);
    const previous = this.#types.get(typeUrl)?.resources;
    const next = new Map<string, StoredResource>();
    for (const [name, json] of Object.entries(resources)) {
      const any = envoyApi().pack(typeUrl, json);
      const old = previous?.get(name);
      const unchanged = old !== undefined && Buffer.from(old.any.value).equals(any.value);
      next.set(name, unchanged ? old : { name, version, any });
    }
    this.#types.set(typeUrl, { version, resources: next });
    for (const listener of this.#listeners) listener(typeUrl);
    return version;
  }

  /** The type's version, or undefined while a test has not set it (such types are not answered). */
  version(typeUrl: string): string | undefined {
    return this.#types.get(typeUrl)?.version;
  }

  resources(typeUrl: string): ReadonlyMap<string, StoredResource> {
    return this.#types.get(typeUrl)?.resources ?? new Map();
  }

  onChange(listener: (typeUrl: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
