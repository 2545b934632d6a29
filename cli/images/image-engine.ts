import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';

/** One JSON message of a build, import or pull stream. */
interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string };
}

/** Input of {@link ImageEngine.build}. */
export interface BuildRequest {
  /** Tar stream of the build context; holds `Dockerfile` at its root. */
  context: Readable;
  /** Every tag to give the result, `repo:tag`. */
  tags: string[];
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Each line of build output. */
  onLog?: (line: string) => void;
}

/** Input of {@link ImageEngine.importRootfs}. */
export interface ImportRequest {
  /** Tar stream of a root filesystem. */
  rootfs: Readable;
  /** `repo:tag` */
  ref: string;
  /** Dockerfile instructions applied to the imported image (`ENV …`, `LABEL …`). */
  changes: string[];
  onLog?: (line: string) => void;
}

function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ETIMEDOUT';
}

function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: 'latest' };
}

/**
 * The image builder's I/O shell around the Docker engine: look up, build, import, tag, pull.
 * Builds go through the engine API (`POST /build`, the classic builder) with a tar context made in
 * memory rather than through the `docker` CLI: it needs no CLI (the control container only has the
 * socket), no BuildKit/buildx (the CLI here is 28.x against a 20.10 engine), and errors arrive as
 * structured messages instead of text to scrape.
 */
export class ImageEngine {
  readonly docker: Docker;

  constructor(docker: Docker) {
    this.docker = docker;
  }

  /** Which engine this is (socket path or host:port), for per-engine caches. */
  get key(): string {
    const m = this.docker.modem as unknown as { socketPath?: unknown; host?: string; port?: number };
    return typeof m.socketPath === 'string' ? m.socketPath : `${m.host ?? 'default'}:${m.port ?? ''}`;
  }

  /** Throws MESH_ERR_IMAGE_ENGINE when the engine does not answer within `timeoutMs`. */
  async ping(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.docker.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      throw new ImageError(IMAGE_ERROR_CODES.engine, `the Docker engine does not answer: ${(err as Error).message} (is dockerd running? scripts/ensure-docker.sh starts it)`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Image id of `ref`, or undefined when there is no such image. */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      if (isUnreachable(err)) throw new ImageError(IMAGE_ERROR_CODES.engine, `the Docker engine does not answer: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  /** Points `ref` at image `id`. */
  async tag(id: string, ref: string): Promise<void> {
    await this.docker.getImage(id).tag(splitRef(ref));
  }

  /** Builds an image; resolves to its id. */
  async build(req: BuildRequest): Promise<string> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(req.context, {
        t: req.tags[0]!,
        buildargs: req.buildargs ?? {},
        labels: req.labels ?? {},
        rm: true,
        forcerm: true,
      });
    } catch (err) {
      throw new ImageError(IMAGE_ERROR_CODES.build, `docker build of ${req.tags[0]} failed: ${(err as Error).message}`, { cause: err });
    }
    const messages = await this.follow(stream, req.onLog, `docker build of ${req.tags[0]}`);
    const id = messages.map((m) => m.aux?.ID).find(Boolean) ?? (await this.imageId(req.tags[0]!));
    if (!id) throw new ImageError(IMAGE_ERROR_CODES.build, `docker build of ${req.tags[0]} finished without an image`);
    for (const ref of req.tags.slice(1)) await this.tag(id, ref);
    return id;
  }

  /** `docker import`: makes an image of a root filesystem tar; resolves to its id. */
  async importRootfs(req: ImportRequest): Promise<string> {
    const { repo, tag } = splitRef(req.ref);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.importImage(req.rootfs, { repo, tag, changes: req.changes });
    } catch (err) {
      throw new ImageError(IMAGE_ERROR_CODES.base, `docker import of ${req.ref} failed: ${(err as Error).message}`, { cause: err });
    }
    await this.follow(stream, req.onLog, `docker import of ${req.ref}`, IMAGE_ERROR_CODES.base);
    const id = await this.imageId(req.ref);
    if (!id) throw new ImageError(IMAGE_ERROR_CODES.base, `docker import of ${req.ref} finished without an image`);
    return id;
  }

  /**
   * Pulls `ref` if a registry answers. Resolves false as soon as the pull reports an error or
   * nothing arrives within `answerMs` (no registry: fail fast); once the registry has answered,
   * waits for the pull to finish.
   */
  async tryPull(ref: string, answerMs = 5000): Promise<boolean> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = (await Promise.race([
        this.docker.pull(ref),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), answerMs).unref()),
      ])) as NodeJS.ReadableStream;
    } catch {
      return false;
    }
    return new Promise<boolean>((resolve) => {
      let answered = false;
      const timer = setTimeout(() => {
        if (!answered) {
          stream.destroy?.();
          resolve(false);
        }
      }, answerMs);
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, out: EngineMessage[]) => {
          clearTimeout(timer);
          resolve(!err && !out.some((m) => m.error));
        },
        (m: EngineMessage) => {
          if (!m.error) answered = true;
        },
      );
    });
  }

  private follow(
    stream: NodeJS.ReadableStream,
    onLog: ((line: string) => void) | undefined,
    what: string,
    code: (typeof IMAGE_ERROR_CODES)[keyof typeof IMAGE_ERROR_CODES] = IMAGE_ERROR_CODES.build,
  ): Promise<EngineMessage[]> {
    return new Promise((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, out: EngineMessage[]) => {
          const failed = out?.find((m) => m.error);
          if (err || failed) {
            const why = failed?.errorDetail?.message ?? failed?.error ?? err?.message;
            reject(new ImageError(code, `${what} failed: ${why?.trim()}`, { cause: err ?? failed }));
          } else resolve(out);
        },
        (m: EngineMessage) => {
          const text = m.stream ?? (m.status ? `${m.status}${m.progress ? ` ${m.progress}` : ''}` : undefined);
          if (text && onLog) for (const line of text.split('\n')) if (line.trim()) onLog(line.trimEnd());
        },
      );
    });
  }
}
