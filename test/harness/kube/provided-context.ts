// What the kube global setup hands to every integration test through Vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a kubeconfig for the run's kube-apiserver (a `system:masters` user). */
    kubeconfig: string;
  }
}

export {};
