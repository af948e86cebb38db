import { API_VERSION, KIND, LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY_VALUE } from '../api/constants.js';
import type { WorkloadInput } from './facts.js';
import { labelValue, objectName } from './names.js';
import type { ObjectMeta } from './objects.js';

/** Metadata every generated object carries: name, labels and the controller ownerReference. */
export function objectMeta(workload: WorkloadInput, component: string, annotations?: Record<string, string>): ObjectMeta {
  const meta: ObjectMeta = {
    name: objectName(workload.name, component),
    namespace: workload.namespace,
    labels: {
      [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
      [LABEL_WORKLOAD]: labelValue(workload.name),
      [LABEL_COMPONENT]: component,
    },
  };
  if (annotations !== undefined && Object.keys(annotations).length > 0) meta.annotations = sortKeys(annotations);
  if (workload.uid !== undefined) {
    meta.ownerReferences = [
      { apiVersion: API_VERSION, kind: KIND, name: workload.name, uid: workload.uid, controller: true, blockOwnerDeletion: true },
    ];
  }
  return meta;
}

export function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
