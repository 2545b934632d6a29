import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuUsPerRequest, parseProcStat, parseProcStatus, processTree } from '../../../bench/proc/proc-stat.ts';

const STAT = '4242 (nginx) S 4241 4242 4242 0 -1 4194624 1000 0 0 0 1234 567 0 0 20 0 1 0 900 12345678 3000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0';

test('parseProcStat: pid, comm, state, ppid, utime, stime, cutime, cstime', () => {
  assert.equal(parseProcStat(STAT), { pid: 4242, comm: 'nginx', state: 'S', ppid: 4241, utimeTicks: 1234, stimeTicks: 567, cutimeTicks: 0, cstimeTicks: 0 });
  assert.equal(parseProcStat(STAT.replace(' 1234 567 0 0 ', ' 1234 567 89 10 ')).cutimeTicks, 89);
});

test('parseProcStat: a command name with spaces and parentheses', () => {
  const st = parseProcStat(STAT.replace('(nginx)', '(node (my) app)'));
  assert.is(st.comm, 'node (my) app');
  assert.is(st.utimeTicks, 1234);
  assert.is(st.ppid, 4241);
});

test('parseProcStat: garbage throws', () => {
  assert.throws(() => parseProcStat('hello'), /not a \/proc/);
  assert.throws(() => parseProcStat('1 (x) S 0'), /field/);
});

test('parseProcStatus: VmRSS, VmHWM and RssAnon in kB; a kernel thread has none', () => {
  const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   91234 kB\nVmRSS:\t   65432 kB\nRssAnon:\t   21000 kB\nRssFile:\t   44000 kB\nThreads:\t11\n';
  assert.equal(parseProcStatus(text), { vmRssKb: 65432, vmHwmKb: 91234, rssAnonKb: 21000 });
  assert.equal(parseProcStatus('Name:\tkthreadd\n'), { vmRssKb: 0, vmHwmKb: 0, rssAnonKb: 0 });
});

test('processTree: root, children, grandchildren; not siblings', () => {
  const all = [
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 12, ppid: 10 },
    { pid: 13, ppid: 12 },
    { pid: 20, ppid: 1 },
  ];
  assert.equal(processTree(all, 10), [10, 11, 12, 13]);
  assert.equal(processTree(all, 20), [20]);
  assert.equal(processTree(all, 99), [99]);
});

test('cpuUsPerRequest: ticks to microseconds per request', () => {
  assert.is(cpuUsPerRequest(100, 100, 10_000), 100);
  assert.is(cpuUsPerRequest(38, 100, 10_000), 38);
  assert.ok(Number.isNaN(cpuUsPerRequest(5, 100, 0)));
});

test.run();
