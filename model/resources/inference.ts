// Gateway API Inference Extension (inference.networking.k8s.io/v1): the InferencePool, a backend made of the
// ready Pods its selector picks, with an optional endpoint picker.

import type { KubernetesObject } from './kubernetes.ts';

export interface InferencePoolSpec {
  selector: { matchLabels?: Record<string, string> };
  targetPorts: { number: number }[];
  appProtocol?: 'http' | 'kubernetes.io/h2c' | (string & {});
  endpointPickerRef?: {
    group?: string;
    kind?: string;
    name: string;
    port?: { number: number };
    failureMode?: 'FailOpen' | 'FailClose';
  };
}

export type InferencePool = KubernetesObject<'InferencePool', InferencePoolSpec, unknown>;
