import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasDockmeshRules, renderCleanup, renderInstall, renderUpdate } from '../../../agent/iptables-rules.ts';

const installCases: Array<{ name: string; rules: Parameters<typeof renderInstall>[0]; want: string[] }> = [
  {
    name: 'no app port, no destination',
    rules: { inbound: [], outbound: [] },
    want: [
      '*nat',
      ':DOCKMESH_INBOUND - [0:0]',
      ':DOCKMESH_OUTPUT - [0:0]',
      '-A PREROUTING -p tcp -j DOCKMESH_INBOUND',
      '-A OUTPUT -p tcp -j DOCKMESH_OUTPUT',
      '-A DOCKMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A DOCKMESH_OUTPUT -d 127.0.0.0/8 -j RETURN',
      'COMMIT',
      '',
    ],
  },
  {
    name: 'two app ports and two meshed destinations',
    rules: {
      inbound: [{ port: 80, to: 15006 }, { port: 9090, to: 15100 }],
      outbound: [{ address: '172.18.0.4', port: 8080, to: 15200 }, { address: '172.18.0.5', port: 8080, to: 15200 }],
    },
    want: [
      '*nat',
      ':DOCKMESH_INBOUND - [0:0]',
      ':DOCKMESH_OUTPUT - [0:0]',
      '-A PREROUTING -p tcp -j DOCKMESH_INBOUND',
      '-A OUTPUT -p tcp -j DOCKMESH_OUTPUT',
      '-A DOCKMESH_INBOUND -p tcp --dport 80 -j REDIRECT --to-ports 15006',
      '-A DOCKMESH_INBOUND -p tcp --dport 9090 -j REDIRECT --to-ports 15100',
      '-A DOCKMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A DOCKMESH_OUTPUT -d 127.0.0.0/8 -j RETURN',
      '-A DOCKMESH_OUTPUT -d 172.18.0.4/32 -p tcp --dport 8080 -j REDIRECT --to-ports 15200',
      '-A DOCKMESH_OUTPUT -d 172.18.0.5/32 -p tcp --dport 8080 -j REDIRECT --to-ports 15200',
      'COMMIT',
      '',
    ],
  },
];

for (const c of installCases) {
  test(`renderInstall: ${c.name}`, () => {
    assert.is(renderInstall(c.rules), c.want.join('\n'));
  });
}

test('renderUpdate refills both chains without touching the jumps', () => {
  const text = renderUpdate({ inbound: [{ port: 80, to: 15006 }], outbound: [{ address: '10.0.0.2', port: 5432, to: 15201 }] });
  assert.is(
    text,
    [
      '*nat',
      ':DOCKMESH_INBOUND - [0:0]',
      ':DOCKMESH_OUTPUT - [0:0]',
      '-A DOCKMESH_INBOUND -p tcp --dport 80 -j REDIRECT --to-ports 15006',
      '-A DOCKMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A DOCKMESH_OUTPUT -d 127.0.0.0/8 -j RETURN',
      '-A DOCKMESH_OUTPUT -d 10.0.0.2/32 -p tcp --dport 5432 -j REDIRECT --to-ports 15201',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.not.match(text, /PREROUTING|-A OUTPUT/);
});

const LISTING_INSTALLED = `-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N DOCKER_OUTPUT
-N DOCKMESH_INBOUND
-N DOCKMESH_OUTPUT
-A PREROUTING -p tcp -j DOCKMESH_INBOUND
-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT
-A OUTPUT -p tcp -j DOCKMESH_OUTPUT
-A OUTPUT -p tcp -j DOCKMESH_OUTPUT
-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:40000
-A DOCKMESH_INBOUND -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 15006
-A DOCKMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN
`;

const cleanupCases = [
  {
    name: 'nothing to remove',
    listing: '-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n-N DOCKER_OUTPUT\n-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT\n',
    want: '',
  },
  {
    name: 'installed rules (a duplicated jump from a crash), Docker DNS rules left alone',
    listing: LISTING_INSTALLED,
    want: [
      '*nat',
      '-D PREROUTING -p tcp -j DOCKMESH_INBOUND',
      '-D OUTPUT -p tcp -j DOCKMESH_OUTPUT',
      '-D OUTPUT -p tcp -j DOCKMESH_OUTPUT',
      '-F DOCKMESH_INBOUND',
      '-F DOCKMESH_OUTPUT',
      '-X DOCKMESH_INBOUND',
      '-X DOCKMESH_OUTPUT',
      'COMMIT',
      '',
    ].join('\n'),
  },
  {
    name: 'chains without jumps (killed between the two steps)',
    listing: '-N DOCKMESH_OUTPUT\n-A DOCKMESH_OUTPUT -d 127.0.0.0/8 -j RETURN\n',
    want: ['*nat', '-F DOCKMESH_OUTPUT', '-X DOCKMESH_OUTPUT', 'COMMIT', ''].join('\n'),
  },
];

for (const c of cleanupCases) {
  test(`renderCleanup: ${c.name}`, () => {
    const text = renderCleanup(c.listing);
    assert.is(text, c.want);
    assert.not.match(text, /DOCKER_OUTPUT/);
  });
}

test('hasDockmeshRules', () => {
  assert.ok(hasDockmeshRules(LISTING_INSTALLED));
  assert.not.ok(hasDockmeshRules('-P OUTPUT ACCEPT\n-N DOCKER_OUTPUT\n'));
});

test.run();
