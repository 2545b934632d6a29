/** `mesh dashboard [component]`: where the observability stack of `mesh up --observability` answers. */
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { STACK_COMPONENTS, stackViews, type StackView } from '../observability-stack.ts';
import { EXIT, UserError } from '../errors.ts';
import { table } from '../table.ts';

export interface DashboardFlags extends ProjectFlags {
  json?: boolean;
}

/** Pure: the human table. */
export function formatStack(views: StackView[]): string {
  return table(
    ['COMPONENT', 'URL', 'STATE', 'IMAGE', 'SHOWS'],
    views.map((v) => [v.component, v.url ?? '-', v.state, v.image, v.what]),
  );
}

export async function dashboard(component: string | undefined, flags: DashboardFlags): Promise<number> {
  if (component !== undefined && !STACK_COMPONENTS.includes(component as never)) {
    throw new UserError('MESH_ERR_USAGE', `unknown component "${component}": one of ${STACK_COMPONENTS.join(', ')}`);
  }
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const views = (await stackViews(docker, project.name)).filter((v) => !component || v.component === component);
  if (views.length === 0) {
    throw new UserError(
      'MESH_ERR_NOT_RUNNING',
      `${component ?? 'the observability stack'} is not running in project "${project.name}": run mesh up --observability`,
    );
  }
  if (flags.json) process.stdout.write(JSON.stringify(views, null, 2) + '\n');
  else if (component) process.stdout.write(`${views[0]!.url ?? `${views[0]!.container} is ${views[0]!.state}`}\n`);
  else process.stdout.write(formatStack(views));
  return views.every((v) => v.url) ? EXIT.ok : EXIT.notRunning;
}
