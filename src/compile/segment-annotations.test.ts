// A segment's selector on its ServiceAccount, as the pod admission policies read it (split() in
// CEL): every operator, sorted labels, nothing for what the selector does not use.
import { segmentAnnotations } from './identity.js';

test('matchLabels are key=value pairs in key order', () => {
  expect(segmentAnnotations({ matchLabels: { tier: 'serving', app: 'model', 'example.com/team': '' } })).toEqual({
    'bulkhead.dev/segment-labels': 'app=model,example.com/team=,tier=serving',
  });
});

test('matchExpressions are key:Operator:values, values joined by |', () => {
  expect(segmentAnnotations({
    matchExpressions: [
      { key: 'track', operator: 'In', values: ['stable', 'canary'] },
      { key: 'debug', operator: 'NotIn', values: ['true'] },
      { key: 'example.com/gpu', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  })).toEqual({ 'bulkhead.dev/segment-expressions': 'track:In:stable|canary,debug:NotIn:true,example.com/gpu:Exists:,legacy:DoesNotExist:' });
});

test('an empty selector writes nothing (validation refuses one for a segment)', () => {
  expect(segmentAnnotations({})).toEqual({});
});
