import test from 'ava';
import { fromJson, toJson } from '../../runner/bullmq/payload.ts';

test('NaN and ±Infinity cross Redis\'s JSON as themselves, and strings that are not those stay strings', (t) => {
  const epochs = [{ epoch: 1, loss: NaN, zStd: Infinity, lossMax: -Infinity, knnAcc: null, lr: 0.1, note: 'NaN-free' }];
  const wire = JSON.parse(JSON.stringify(toJson({ epochs, status: 'diverged' })));
  t.deepEqual(JSON.parse(JSON.stringify({ loss: NaN })), { loss: null }, 'plain JSON would lose it');
  const back = fromJson(wire) as { epochs: typeof epochs; status: string };
  t.true(Number.isNaN(back.epochs[0].loss));
  t.is(back.epochs[0].zStd, Infinity);
  t.is(back.epochs[0].lossMax, -Infinity);
  t.is(back.epochs[0].knnAcc, null);
  t.is(back.epochs[0].lr, 0.1);
  t.is(back.epochs[0].note, 'NaN-free');
  t.is(back.status, 'diverged');
});
