/**
 * Figures of issue 6 that the harness has a row for but cannot measure yet, with what each needs.
 * Remove a row when its measurement lands.
 */
import type { ControlPlaneFigures, MeshUpFigures, PendingFigure } from '../model.ts';

export const PENDING: readonly PendingFigure[] = [
  { id: 'save-to-applied', figure: 'Meshfile save → applied in all of 50 agents (p50, p99)', needs: 'the control server (control/) and 50 process-mode agents streaming from it' },
  { id: 'mesh-up', figure: '`mesh up` time on examples/shop (images built)', needs: 'cli `mesh up`, examples/shop and a Docker engine' },
  { id: 'replica-ready', figure: 'Replica start → agent ready', needs: 'the injector (control/) and a Docker engine' },
  { id: 'control-memory', figure: 'Control server memory with 100 agents', needs: 'the control server; 100 process-mode agents (or agent streams) connected to it' },
];

/** The pending rows that are still pending given what this run measured. */
export function stillPending(controlPlane: ControlPlaneFigures | undefined, meshUp?: MeshUpFigures): PendingFigure[] {
  return PENDING.filter((p) => {
    if ((p.id === 'mesh-up' || p.id === 'replica-ready') && meshUp?.available) return false;
    if (!controlPlane?.available) return true;
    if (p.id === 'save-to-applied') return false;
    if (p.id === 'control-memory') return controlPlane.controlRss === null;
    return true;
  });
}
