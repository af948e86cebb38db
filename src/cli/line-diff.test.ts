import { lineDiff, withContext } from './line-diff.js';

test('equal texts have no diff', () => expect(lineDiff('a\nb\n', 'a\nb\n')).toEqual([]));
test('changed, added and removed lines', () => {
  expect(lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual(['  a', '- b', '+ B', '  c', '+ d']);
  expect(lineDiff('', 'x\n')).toEqual(['+ x']);
  expect(lineDiff('x\n', '')).toEqual(['- x']);
});

test('context keeps only lines near changes', () => {
  const lines = ['  1', '  2', '  3', '  4', '+ 5', '  6', '  7', '  8', '  9'];
  expect(withContext(lines, 1)).toEqual(['  …', '  4', '+ 5', '  6', '  …']);
});
