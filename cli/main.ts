/** The `mesh` command: wires subcommands to their modules; maps errors to one line and an exit status. */
import { Command, CommanderError } from 'commander';
import { UserError, EXIT } from './errors.ts';
import { up } from './commands/up.ts';
import { down } from './commands/down.ts';
import { status } from './commands/status.ts';
import { control } from './commands/control.ts';
import { check } from './commands/check.ts';
import { routes } from './commands/routes.ts';
import { fault } from './commands/fault.ts';
import { canary } from './commands/canary.ts';
import { tap, top } from './commands/tap.ts';
import { certs } from './commands/certs.ts';
import { caRotate } from './commands/ca.ts';
import { demo } from './commands/demo.ts';
import { dashboard } from './commands/dashboard.ts';

// A reader that stops early (`mesh status | head`, `mesh up 2>&1 | head`) closes the pipe: drop the
// rest of that stream's output and let the command finish with its own exit status, instead of
// crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = (() => true) as typeof stream.write;
  });
}

const program = new Command('mesh')
  .description('dockmesh: a service mesh for Docker Compose')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(run mesh --help for usage)');

function projectFlags(cmd: Command): Command {
  return cmd
    .option('-p, --project-name <name>', 'compose project name (default: from the compose file or directory)')
    .option('-f, --file <file...>', 'compose file(s), like docker compose -f')
    .option('--project-directory <dir>', 'project directory (default: the compose file\'s directory)');
}

let result: Promise<number> = Promise.resolve(0);
/** Adapts a command module to commander: remembers its exit status. */
function run<F>(fn: (flags: F) => Promise<number>): (flags: F) => Promise<void> {
  return async (flags: F) => {
    result = fn(flags);
    await result;
  };
}

/** {@link run} for a command with one argument (`mesh routes <service>`). */
function runWithArgument<A, F>(fn: (arg: A, flags: F) => Promise<number>): (arg: A, flags: F) => Promise<void> {
  return async (arg: A, flags: F) => {
    result = fn(arg, flags);
    await result;
  };
}

projectFlags(program.command('up').description('mesh the running compose project: one agent per container'))
  .option('--timeout <seconds>', 'how long to wait for every agent to be ready', '60')
  .option('--meshfile <file>', 'the meshfile (default: mesh.yaml beside the compose file)')
  .option('--observability', 'also start Prometheus, Jaeger and Grafana for the project (mesh dashboard shows their URLs)')
  .option('--json', 'print the final status as JSON')
  .action(run(up));

projectFlags(program.command('down').description('remove every agent, the control server and the observability stack; apps keep running'))
  .option('--json', 'print a JSON summary')
  .action(run(down));

projectFlags(program.command('status').description('show the control server and every agent'))
  .option('--json', 'print JSON: {control, configVersion, agents: [...]}')
  .action(run(status));

projectFlags(program.command('check').description('validate the meshfile (against the running project, else the compose file); exit 0 only when clean'))
  .option('--meshfile <file>', 'the meshfile (default: mesh.yaml beside the compose file)')
  .option('--offline', 'check against the compose file even when the project runs')
  .option('--json', 'print JSON: {file, valid, errors, warnings, diagnostics: [...]}')
  .action(run(check));

projectFlags(program.command('routes').description('show the effective routes and policies of a service\'s agent').argument('<service>', 'logical service, compose service or container name'))
  .option('--json', 'print the snapshots as JSON')
  .action(runWithArgument(routes));

projectFlags(program.command('fault').description('inject a temporary fault on every route to a service (no meshfile edit)').argument('[service]', 'logical service'))
  .option('--delay <duration>', 'delay requests, e.g. 2s')
  .option('--abort <status>', 'answer with this HTTP status, e.g. 503')
  .option('--percent <n>', 'share of requests affected', '100')
  .option('--for <duration>', 'remove the fault after this long', '60s')
  .option('--clear', 'remove the fault of [service], or all')
  .option('--list', 'show active faults')
  .option('--json', 'print JSON')
  .action(runWithArgument(fault));

projectFlags(program.command('canary').description('show the Flagger Canaries: phase, weights, failed checks, last metric checks').argument('[name]', 'a Canary, or its target service'))
  .option('--json', 'print JSON: [{name, target, phase, canaryWeight, primaryWeight, failedChecks, iterations, checks, message, ...}]')
  .action(runWithArgument(canary));

const tapOptions = (c: Command): Command =>
  c
    .option('--to <service>', 'only requests to this destination service')
    .option('--method <method>', 'only this HTTP method')
    .option('--path <prefix>', 'only paths that start with this')
    .option('--max <n>', 'stop after this many requests')
    .option('--json', 'print JSON');

tapOptions(projectFlags(program.command('tap').description('stream the live requests of a service\'s agents (inbound and outbound), as they finish').argument('<service>', 'logical service, compose service or container name')))
  .option('--duration <duration>', 'stop after this long (default: until Ctrl-C, at most 1h)')
  .action(runWithArgument(tap));

tapOptions(projectFlags(program.command('top').description('live table of a service\'s requests by source, destination, method and path: count, latency, success rate').argument('<service>', 'logical service, compose service or container name')))
  .option('--duration <duration>', 'how long to watch (default: until Ctrl-C on a terminal, else 10s)')
  .action(runWithArgument(top));

projectFlags(program.command('dashboard').description('show the URLs of the observability stack (mesh up --observability): Grafana, Jaeger, Prometheus').argument('[component]', 'grafana, jaeger or prometheus: print only its URL'))
  .option('--json', 'print JSON: [{component, container, image, state, url, what}]')
  .action(runWithArgument(dashboard));

projectFlags(program.command('certs').description('list each workload\'s identity, serial, expiry and time to renewal'))
  .option('--json', 'print JSON')
  .action(run(certs));

const ca = program.command('ca').description('the local certificate authority ($DOCKMESH_HOME/ca)');
projectFlags(ca.command('rotate').description('introduce a new root (both trusted until every leaf is reissued), or --finish to drop the old one'))
  .option('--finish', 'drop the old root (refused while a leaf it signed is in use, unless --force)')
  .option('--status', 'show the rotation state')
  .option('--force', 'with --finish: drop the old root even if leaves it signed are in use')
  .option('--propagation <seconds>', 'seconds between trusting the new root and signing with it', '30')
  .option('--json', 'print JSON')
  .action(run((flags: Parameters<typeof caRotate>[0]) => caRotate(flags)));

program
  .command('demo')
  .description('bring up examples/shop, mesh it, drive traffic, print what to look at (DEMO_PROJECT, SHOP_PORT)')
  .action(run(() => demo()));

projectFlags(program.command('control').description('run the control server in the foreground on the host'))
  .option('--host <addr>', 'listen address', '127.0.0.1')
  .option('--port <port>', 'listen port', '15010')
  .option('--agent-port <port>', "the agents' TLS listener (with the local CA)", '15012')
  .option('--agent-image <image>', 'inject agents with this image (default: no injection)')
  .action(run(control));

try {
  await program.parseAsync(process.argv);
  process.exitCode = await result;
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
  } else if (err instanceof UserError) {
    process.stderr.write(`mesh: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`mesh: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}
