import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleContext, exampleContextFiles } from './build-context.ts';
import { chooseBase } from './choose-base.ts';
import { contentHash } from './content-hash.ts';
import { BASE_LABEL, EXAMPLE_DEV_TAG, exampleRepo, HASH_LABEL, IMAGE_LABEL, imageRef, isExampleName } from './image-catalog.ts';
import { ImageEngine } from './image-engine.ts';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';
import { type ImageOptions, type ImageProgress, resolveImageOptions } from './image-options.ts';
import { builderSources, listFiles, readSourceFiles } from './source-files.ts';
import { tarArchive } from './tar-archive.ts';

/** What {@link ensureExampleImage} made sure of. */
export interface ExampleImage {
  /** `dockmesh/example-<name>:<hash>` */
  ref: string;
  /** `dockmesh/example-<name>:dev`, the tag the example's compose file uses; same image. */
  devRef: string;
  /** This call built it. */
  built: boolean;
}

/**
 * Makes sure the image of `examples/<name>/` exists, tagged `dockmesh/example-<name>:<hash>` and
 * `:dev`. Its Dockerfile takes the same `BASE` build argument as the mesh images. The hash covers
 * the files that go into the context (not the compose file, meshfile or README) and the builder.
 */
export async function ensureExampleImage(name: string, options: ImageOptions = {}): Promise<ExampleImage> {
  const opts = resolveImageOptions(options);
  const image = `example-${name}`;
  const progress = (step: ImageProgress['step'], message: string) => opts.onProgress({ image, step, message });
  const dir = `examples/${name}`;
  try {
    if (!isExampleName(name)) throw new Error('not an example name');
    await access(join(opts.root, dir, 'Dockerfile'));
  } catch (err) {
    throw new ImageError(IMAGE_ERROR_CODES.example, `no example named ${JSON.stringify(name)}: ${dir}/Dockerfile does not exist`, { cause: err });
  }
  const engine = new ImageEngine(opts.docker);
  await engine.ping();

  const files = exampleContextFiles((await listFiles(opts.root, dir)).map((f) => f.slice(dir.length + 1)));
  const inputs = await readSourceFiles(join(opts.root, dir), files);
  const builder = await builderSources();
  const hash = contentHash([...inputs, ...builder]);
  const ref = imageRef(exampleRepo(name), hash);
  const devRef = imageRef(exampleRepo(name), EXAMPLE_DEV_TAG);
  progress('hash', `${image} image ${ref}`);

  const id = opts.force ? undefined : await engine.imageId(ref);
  if (id) {
    if ((await engine.imageId(devRef)) !== id) {
      await engine.tag(id, devRef);
      progress('tag', `${devRef} → ${ref}`);
    }
    progress('cached', `${ref} is up to date`);
    return { ref, devRef, built: false };
  }

  const base = await chooseBase(engine, options, (step, message) => opts.onProgress({ image: 'base', step, message }));
  const started = Date.now();
  progress('build', `docker build ${ref} FROM ${base}`);
  await engine.build({
    context: tarArchive(exampleContext(join(opts.root, dir), files)),
    tags: [ref, devRef],
    buildargs: { BASE: base },
    labels: { [IMAGE_LABEL]: 'example', [HASH_LABEL]: hash, [BASE_LABEL]: base, 'dockmesh.example': name },
    onLog: (line) => progress('log', line),
  });
  progress('done', `built ${ref} (and ${devRef}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ref, devRef, built: true };
}
