import { MAX_NAMED_PODS, identityDriftMessage } from './identity-drift.js';

const pod = (name: string, serviceAccount = 'default'): { name: string; serviceAccount: string } => ({ name, serviceAccount });

describe('identityDriftMessage', () => {
  test.each([
    { name: 'one pod', pods: [pod('model-0')], want: 'model: 1 pod(s) not running as w-model: model-0 (as default)' },
    {
      name: 'pods in name order, each with its ServiceAccount',
      pods: [pod('model-b', 'legacy'), pod('model-a')],
      want: 'model: 2 pod(s) not running as w-model: model-a (as default), model-b (as legacy)',
    },
    {
      name: `exactly ${MAX_NAMED_PODS} pods: all named, nothing counted`,
      pods: ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n)),
      want: 'model: 5 pod(s) not running as w-model: a (as default), b (as default), c (as default), d (as default), e (as default)',
    },
    {
      name: 'more pods than that: the first named, the rest counted, every ServiceAccount counted',
      pods: [pod('g', 'legacy'), ...['f', 'e', 'd', 'c', 'b', 'a'].map((n) => pod(n)), pod('h', 'builder')],
      want: 'model: 8 pod(s) not running as w-model: a (as default), b (as default), c (as default), d (as default), e (as default) and 3 more; ServiceAccounts: default (6), builder (1), legacy (1)',
    },
  ])('$name', ({ pods, want }) => {
    expect(identityDriftMessage('model', 'w-model', pods)).toBe(want);
  });

  test('a thousand pods make a message of bounded length', () => {
    const pods = Array.from({ length: 1000 }, (_, i) => pod(`model-${String(i).padStart(4, '0')}`, i % 2 === 0 ? 'default' : 'legacy'));
    const message = identityDriftMessage('model', 'w-model', pods);
    expect(message).toBe('model: 1000 pod(s) not running as w-model: model-0000 (as default), model-0001 (as legacy), model-0002 (as default), model-0003 (as legacy), model-0004 (as default) and 995 more; ServiceAccounts: default (500), legacy (500)');
  });
});
