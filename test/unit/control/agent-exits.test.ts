import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { demuxLogs, exitText, lastLoggedError, noteExit } from '../../../control/injector/agent-exits.ts';

const frame = (stream: 1 | 2, text: string): Buffer => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

const LOG = [
  '{"time":"t","level":"info","msg":"capture chains installed","component":"agent"}',
  '{"time":"t","level":"error","msg":"cannot listen on 0.0.0.0:15020 (port 15020 is in use in the app\'s network namespace: the agent reserves 15000-15299 and its admin port; move the app off it)","code":"AGENT_ERR_LISTEN","cause":"listen EADDRINUSE: address already in use 0.0.0.0:15020"}',
  '{"time":"t","level":"error","msg":"proxy exited on its own","role":"capture-manager","code":1}',
  '{"time":"t","level":"info","msg":"capture rules removed"}',
  '',
].join('\n');

test('Docker\'s multiplexed logs are split into their text; plain text passes as it is', () => {
  assert.is(demuxLogs(Buffer.concat([frame(1, 'out line\n'), frame(2, 'err line\n')])), 'out line\nerr line\n');
  assert.is(demuxLogs(Buffer.from('{"level":"info"}\n')), '{"level":"info"}\n');
});

test('the last error the agent logged, over the supervisor\'s own "exited" line', () => {
  assert.is(lastLoggedError(LOG), 'cannot listen on 0.0.0.0:15020 (port 15020 is in use in the app\'s network namespace: the agent reserves 15000-15299 and its admin port; move the app off it): listen EADDRINUSE: address already in use 0.0.0.0:15020');
  assert.is(lastLoggedError('{"level":"info","msg":"x"}\nnot json\n'), undefined);
});

test('restarts back off 1 s, 2 s, 4 s … up to 60 s; a quiet spell of 10 minutes starts the count again', () => {
  let e = noteExit(undefined, 1, LOG, 0);
  assert.equal([e.count, e.restartAt], [1, 1000]);
  assert.match(e.reason, /^agent exited \(code 1\): cannot listen on 0\.0\.0\.0:15020/);
  const delays = [e.restartAt - e.at];
  for (let i = 0; i < 8; i++) {
    e = noteExit(e, 1, LOG, e.at + 5000);
    delays.push(e.restartAt - e.at);
  }
  assert.equal(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  assert.is(noteExit(e, 137, '', e.at + 11 * 60_000).count, 1);
  assert.is(noteExit(undefined, 137, '', 0).reason, 'agent exited (code 137)');
  assert.is(exitText(e, e.at), `${e.reason} (9 times in a row); restarting in 60 s`);
  assert.is(exitText(noteExit(undefined, 0, '', 0), 5000), 'agent exited (code 0); restarting');
});

test.run();
