/** The CLI's HTTP client for the control API (127.0.0.1 only, API token from $DOCKMESH_HOME). */
import type { AgentSnapshot, CanaryStatusView, CertsView, StatusView } from '../wire/types.ts';
import type { MeshfileContext } from '../control/meshfile/host-resolver.ts';

/** The control API answered with an error status. */
export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlApiError';
  }
}

/** A temporary fault as the control API lists it. */
export interface FaultView {
  service: string;
  fault: { delay?: { fixedDelayMs: number; percent: number }; abort?: { httpStatus?: number; percent: number } };
  expiresAt: number;
}

/** One agent's snapshot as the control server sent it. */
export interface AgentSnapshotView {
  container: string;
  containerName: string;
  appliedVersion: number;
  snapshot: AgentSnapshot | null;
}

/** The `message` of the control API's JSON error body, else the body as it came. */
function errorMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

/** No connection to the control API at all (refused, reset): not an answer. */
function unreachable(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}

export class ControlClient {
  #baseUrl: string;

  /**
   * `relocate` finds the control API's address again: Docker moves a container's published port
   * when the container joins a network that becomes its default gateway, so after a failed
   * connection a request asks once more at the address it gives, if that is another one.
   */
  constructor(
    baseUrl: string,
    readonly token: string,
    readonly relocate?: () => Promise<string>,
  ) {
    this.#baseUrl = baseUrl;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** `attempt` at the current address; on no connection, once more at a relocated one. */
  async #relocating<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (err) {
      if (!this.relocate || !unreachable(err)) throw err;
      let moved: string;
      try {
        moved = await this.relocate();
      } catch {
        throw err;
      }
      if (moved === this.#baseUrl) throw err;
      this.#baseUrl = moved;
      return attempt();
    }
  }

  async #get<T>(path: string, timeoutMs = 5000): Promise<T> {
    return this.#request<T>('GET', path, undefined, timeoutMs);
  }

  #request<T>(method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<T> {
    return this.#relocating(() => this.#requestOnce<T>(method, path, body, timeoutMs));
  }

  async #requestOnce<T>(method: string, path: string, body?: unknown, timeoutMs: number = 5000): Promise<T> {
    // A ref'd timer, not AbortSignal.timeout (unref'd): while docker-proxy holds a connection to a
    // control server that is not listening yet, nothing else keeps the event loop alive.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await fetch(this.#baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
      if (!res.ok) throw new ControlApiError(res.status, errorMessage(await res.text()));
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

  faults(): Promise<FaultView[]> {
    return this.#get<FaultView[]>('/v1/faults');
  }

  /**
   * Streams a tap (`GET /v1/tap`): yields each event as the control server sends it, until the tap
   * is over (its bounds) or `signal` aborts.
   */
  async *tap(query: Record<string, string>, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const res = await this.#relocating(() => fetch(`${this.#baseUrl}/v1/tap?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${this.token}` }, signal }));
    if (!res.ok || !res.body) throw new ControlApiError(res.status, errorMessage(await res.text()));
    const decoder = new TextDecoder();
    let rest = '';
    try {
      for await (const chunk of res.body) {
        const lines = (rest + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
        rest = lines.pop()!;
        for (const line of lines) if (line) yield JSON.parse(line) as Record<string, unknown>;
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }

  /** The Canaries the control server runs. */
  async canaries(): Promise<CanaryStatusView[]> {
    return this.#get<CanaryStatusView[]>('/v1/canaries');
  }

  setFault(body: { service: string; delayMs?: number; abortStatus?: number; percent?: number; forMs: number }): Promise<FaultView> {
    return this.#request<FaultView>('POST', '/v1/faults', body);
  }

  clearFaults(service?: string): Promise<{ cleared: number }> {
    return this.#request('DELETE', `/v1/faults${service ? `?service=${encodeURIComponent(service)}` : ''}`);
  }

  /** Snapshots sent to the agents of a service, with the version each applied. */
  snapshots(service: string): Promise<AgentSnapshotView[]> {
    return this.#get<AgentSnapshotView[]>(`/v1/snapshots/${encodeURIComponent(service)}`);
  }

  /** Issued workload certificates and the CA's roots (`mesh certs`). */
  certs(): Promise<CertsView> {
    return this.#get<CertsView>('/v1/certs');
  }
}
