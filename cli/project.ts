/**
 * Finds the compose project the way docker compose does: `-p/--project-name`, `-f/--file`,
 * `--project-directory`, COMPOSE_PROJECT_NAME, else the directory's compose file; and checks it
 * against the running containers' compose labels (v1 and v2 name the project differently).
 */
import type Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from './errors.ts';

export interface ProjectFlags {
  projectName?: string;
  file?: string[];
  projectDirectory?: string;
}

export interface Project {
  name: string;
  /** Directory compose ran in (from the containers' labels when running). */
  directory: string;
  composeFiles: string[];
  /** Ids of the running containers of the project. */
  containers: string[];
}

const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

/** Compose v1 keeps [a-z0-9]; v2 keeps [a-z0-9_-]. */
export function candidateNames(raw: string): string[] {
  const lower = raw.toLowerCase();
  return [...new Set([lower.replace(/[^a-z0-9_-]/g, ''), lower.replace(/[^a-z0-9]/g, '')])].filter(Boolean);
}

function nameFromComposeFile(file: string): string | undefined {
  try {
    const m = /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(file, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The project directory and compose files the flags name, by docker compose's rules, without asking
 * Docker: `--project-directory`, else the first `-f` file's directory, else `cwd`; the `-f` files,
 * else the directory's first compose file (none when it has none).
 */
export function composeFilesOf(flags: ProjectFlags, cwd = process.cwd()): { directory: string; files: string[] } {
  const directory = resolve(cwd, flags.projectDirectory ?? (flags.file?.[0] ? dirname(resolve(cwd, flags.file[0])) : '.'));
  const files = flags.file?.length
    ? flags.file.map((f) => resolve(cwd, f))
    : COMPOSE_FILES.map((f) => resolve(directory, f)).filter((f) => existsSync(f)).slice(0, 1);
  return { directory, files };
}

export async function resolveProject(docker: Docker, flags: ProjectFlags, cwd = process.cwd()): Promise<Project> {
  const { directory: dir, files } = composeFilesOf(flags, cwd);
  for (const f of files) {
    if (!existsSync(f)) throw new UserError('MESH_ERR_NO_PROJECT', `compose file ${f} does not exist`);
  }
  const explicit = flags.projectName ?? process.env.COMPOSE_PROJECT_NAME ?? (files[0] ? nameFromComposeFile(files[0]) : undefined);
  const candidates = explicit ? candidateNames(explicit) : files.length ? candidateNames(basename(dir)) : [];

  const all = await docker.listContainers({ all: false, filters: { label: ['com.docker.compose.project'] } });
  const running = all.filter((c) => !c.Labels['dockmesh.role']);
  let name = candidates.find((n) => running.some((c) => c.Labels['com.docker.compose.project'] === n));
  if (!name && !explicit) {
    // No compose file named: a project started from this directory.
    name = running.find((c) => c.Labels['com.docker.compose.project.working_dir'] === dir)?.Labels['com.docker.compose.project'];
  }
  if (!name) {
    if (!explicit && files.length === 0) {
      throw new UserError(
        'MESH_ERR_NO_PROJECT',
        `no compose project in ${dir}: no compose file there and no running project started from it; run mesh in your project's directory, or pass -p NAME`,
      );
    }
    throw new UserError(
      'MESH_ERR_NO_PROJECT',
      `compose project "${candidates[0] ?? explicit}" has no running containers: start it first (docker compose up -d), then mesh up`,
    );
  }
  const mine = running.filter((c) => c.Labels['com.docker.compose.project'] === name);
  const labelled = mine[0]?.Labels['com.docker.compose.project.working_dir'];
  const labelledFiles = mine[0]?.Labels['com.docker.compose.project.config_files'];
  return {
    name,
    directory: labelled || dir,
    composeFiles: files.length ? files : labelledFiles ? labelledFiles.split(',') : [],
    containers: mine.map((c) => c.Id),
  };
}
