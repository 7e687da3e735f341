import test from 'ava';
import { PRESETS } from '../../experiments/presets.ts';
import { applyOverrides, SpecError, validateConfig } from '../../experiments/validate.ts';

test('every preset is a valid configuration', (t) => {
  for (const [name, cfg] of Object.entries(PRESETS)) t.notThrows(() => validateConfig(cfg), name);
});

test('overrides parse JSON values and replace whole components', (t) => {
  const cfg = applyOverrides(PRESETS.small, ['stopGradient=false', 'similarity.kind=cross-entropy', 'epochs=3', 'predictor={"kind":"none"}']);
  t.false(cfg.stopGradient);
  t.is(cfg.similarity.kind, 'cross-entropy');
  t.is(cfg.epochs, 3);
  t.deepEqual(cfg.predictor, { kind: 'none' });
  t.true(PRESETS.small.stopGradient, 'the preset itself is untouched');
});

test('changing a kind keeps the fields the new variant shares and drops the rest', (t) => {
  t.deepEqual(applyOverrides(PRESETS.small, ['predictor.kind=none']).predictor, { kind: 'none' });
  t.deepEqual(applyOverrides(PRESETS.small, ['predictor.kind=frozen']).predictor, { kind: 'frozen', hidden: PRESETS.small.predictor.hidden });
});

test('bad values name the path, the value and what is allowed', (t) => {
  const enumErr = t.throws(() => applyOverrides(PRESETS.small, ['bn=weird']), { instanceOf: SpecError });
  t.regex(enumErr!.message, /bn = "weird": .*"none"\|"hidden"\|"hidden\+proj"\|"hidden\+proj\+pred"/);
  const range = t.throws(() => applyOverrides(PRESETS.small, ['optimizer.baseLr=-1']), { instanceOf: SpecError });
  t.regex(range!.message, /optimizer\.baseLr = -1: .*>0/);
  const type = t.throws(() => applyOverrides(PRESETS.small, ['stopGradient=maybe']), { instanceOf: SpecError });
  t.regex(type!.message, /stopGradient = "maybe": .*boolean/);
  const unknown = t.throws(() => applyOverrides(PRESETS.small, ['optimizer.lr=0.1']), { instanceOf: SpecError });
  t.regex(unknown!.message, /unknown field optimizer\.lr; fields here: kind, baseLr, momentum, weightDecay, warmupEpochs/);
  const kind = t.throws(() => applyOverrides(PRESETS.small, ['loss.kind=asym']), { instanceOf: SpecError });
  t.regex(kind!.message, /loss\.kind = "asym"/);
  t.throws(() => applyOverrides(PRESETS.small, ['nonsense']), { message: /expected path=value/ });
});

test('a whole config with an unknown key is refused, naming it', (t) => {
  const err = t.throws(() => validateConfig({ ...PRESETS.small, extra: 1 }), { instanceOf: SpecError });
  t.regex(err!.message, /extra: unknown field/);
});
