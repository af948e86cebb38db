// One cache over several namespaces (`bulkhead run --watch-namespaces`): an informer per namespace,
// read as one, so that the controller sees the same interface whether it watches the cluster or a
// few namespaces, and the operator needs no cluster-wide permission on the kinds it watches there
// (a Role per namespace is enough). controller-runtime's multiNamespaceCache does the same.
import type { KubeObject } from '../api/kubernetes.js';
import type { EventHandlers, Informer } from './informer.js';

/** What the controller reads of a cache: an Informer, or several read as one. */
export interface Cache<T extends KubeObject> {
  addEventHandler(h: EventHandlers<T>): void;
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
  connected(): boolean;
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  listByNamespace(namespace: string): T[];
  byIndex(name: string, value: string): T[];
}

export class MultiNamespaceCache<T extends KubeObject> implements Cache<T> {
  /** @param byNamespace an informer per namespace, each watching that namespace only */
  constructor(private readonly byNamespace: ReadonlyMap<string, Informer<T>>) {}

  private get all(): Informer<T>[] {
    return [...this.byNamespace.values()];
  }

  addEventHandler(h: EventHandlers<T>): void {
    for (const i of this.all) i.addEventHandler(h);
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.all.every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.all.map((i) => i.waitForSync()));
  }

  connected(): boolean {
    return this.all.every((i) => i.connected());
  }

  /** An object of a namespace not watched is not there. */
  get(namespace: string | undefined, name: string): T | undefined {
    return namespace === undefined ? undefined : this.byNamespace.get(namespace)?.get(namespace, name);
  }

  list(): T[] {
    return this.all.flatMap((i) => i.list());
  }

  listKeys(): string[] {
    return this.all.flatMap((i) => i.listKeys());
  }

  listByNamespace(namespace: string): T[] {
    return this.byNamespace.get(namespace)?.list() ?? [];
  }

  byIndex(name: string, value: string): T[] {
    return this.all.flatMap((i) => i.byIndex(name, value));
  }
}
