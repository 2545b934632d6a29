import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostPort, normalizeHost } from '../../../agent/normalize-host.ts';

const names: Array<[string, string]> = [
  ['api', 'api'],
  ['API', 'api'],
  ['api:8080', 'api'],
  ['api.default.svc.cluster.local.', 'api.default.svc.cluster.local'],
  ['Api.Default.:80', 'api.default'],
  ['172.18.0.4:8080', '172.18.0.4'],
  ['[::1]:8080', '::1'],
  ['[fe80::1]', 'fe80::1'],
  ['  api  ', 'api'],
];
for (const [input, want] of names) {
  test(`normalizeHost(${JSON.stringify(input)})`, () => assert.is(normalizeHost(input), want));
}

const ports: Array<[string, number | undefined]> = [
  ['api', undefined],
  ['api:8080', 8080],
  ['api:', undefined],
  ['api:http', undefined],
  ['api:70000', undefined],
  ['[::1]:9000', 9000],
  ['[::1]', undefined],
];
for (const [input, want] of ports) {
  test(`hostPort(${JSON.stringify(input)})`, () => assert.is(hostPort(input), want));
}

test.run();
