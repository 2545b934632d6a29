import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOptions } from '../../../bench/options.ts';

test('defaults: 5 rounds, per-load durations, pinned, bench/', () => {
  assert.equal(parseOptions([]), {
    quick: false,
    rounds: 5,
    durationS: undefined,
    targets: undefined,
    loads: undefined,
    outDir: 'bench',
    pin: true,
    controlPlane: true,
    render: undefined,
    profile: false,
    base: undefined,
    help: false,
  });
});

test('--base names a revision whose agent runs beside the working tree\'s', () => {
  assert.is(parseOptions(['--base', 'HEAD~1', '--targets', 'agent-hop']).base, 'HEAD~1');
  assert.throws(() => parseOptions(['--base']), /--base needs a value/);
});

test('--profile', () => {
  assert.is(parseOptions(['--profile', '--targets', 'agent-hop']).profile, true);
  assert.equal(parseOptions(['--profile', '--targets', 'agent-hop']).targets, ['agent-hop']);
});

test('--quick means 1 round unless --rounds says otherwise', () => {
  assert.is(parseOptions(['--quick']).rounds, 1);
  assert.is(parseOptions(['--quick', '--rounds', '3']).rounds, 3);
});

test('values, inline or separate; lists', () => {
  const o = parseOptions(['--rounds=7', '--duration', '2.5', '--targets', 'direct, nginx', '--loads=single', '--out', '/tmp/x', '--no-pin']);
  assert.is(o.rounds, 7);
  assert.is(o.durationS, 2.5);
  assert.equal(o.targets, ['direct', 'nginx']);
  assert.equal(o.loads, ['single']);
  assert.is(o.outDir, '/tmp/x');
  assert.is(o.pin, false);
  assert.is(parseOptions(['--render', 'bench/results.json']).render, 'bench/results.json');
  assert.is(parseOptions(['--no-control-plane']).controlPlane, false);
});

test('bad input is a one-line error', () => {
  assert.throws(() => parseOptions(['--rounds', '0']), /positive number/);
  assert.throws(() => parseOptions(['--duration']), /needs a value/);
  assert.throws(() => parseOptions(['--fast']), /unknown option --fast/);
});

test.run();
