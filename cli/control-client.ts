/** The CLI's HTTP client for the control API (127.0.0.1 only, API token from $DOCKMESH_HOME). */
import type { AgentSnapshot, StatusView } from '../wire/types.ts';
import type { MeshfileContext } from '../control/meshfile/host-resolver.ts';

/** One agent's snapshot as the control server sent it. */
export interface AgentSnapshotView {
  container: string;
  containerName: string;
  appliedVersion: number;
  snapshot: AgentSnapshot | null;
}

export class ControlClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async #get<T>(path: string, timeoutMs = 5000): Promise<T> {
    // A ref'd timer, not AbortSignal.timeout (unref'd): while docker-proxy holds a connection to a
    // control server that is not listening yet, nothing else keeps the event loop alive.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await fetch(this.baseUrl + path, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: abort.signal,
      });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  async healthy(): Promise<boolean> {
    try {
      await this.#get('/v1/health', 1000);
      return true;
    } catch {
      return false;
    }
  }

  status(): Promise<StatusView> {
    return this.#get<StatusView>('/v1/status');
  }

  /** The project's services as meshfile checks see them. */
  meshfileContext(): Promise<MeshfileContext> {
    return this.#get<MeshfileContext>('/v1/meshfile/context');
  }

  /** Snapshots sent to the agents of a service, with the version each applied. */
  snapshots(service: string): Promise<AgentSnapshotView[]> {
    return this.#get<AgentSnapshotView[]>(`/v1/snapshots/${encodeURIComponent(service)}`);
  }
}
