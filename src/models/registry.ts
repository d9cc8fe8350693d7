/**
 * The model registry of a data directory: every model trained there (its
 * file, model card, data and evaluation) and which one is the default. The
 * default is the last promoted; rolling back returns to the one before it,
 * and past the first to the shipped model. `registry.json` is read on every
 * call and replaced atomically, so a promotion from the command line reaches
 * a running server's next run without a restart (cache keys carry the
 * model's hash: a new default never reads the old one's entries).
 */
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelClassifierId, saveModel, type Model } from '../classify/model.js';
import { MODELS_DIRECTORY } from '../store/index.js';
import type { Comparison } from './guard.js';


export interface RegisteredModel {
  id: string;
  createdAt: string;
  /** The cache's name for it: `model-NAME-HASH`. */
  classifierId: string;
  /** What it learnt from: files with their rows, and the corrections. */
  trainedOn: Record<string, unknown>;
  /** Against the default of the time it was trained, on the held-out corrections and dev. */
  evaluation: Comparison[];
}

interface RegistryFile {
  models: RegisteredModel[];
  /** Promotions, oldest first; the last is the default. */
  promoted: string[];
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

export class ModelRegistry {
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, MODELS_DIRECTORY);
  }

  private read(): RegistryFile {
    const path = join(this.directory, 'registry.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RegistryFile) : { models: [], promoted: [] };
  }

  private write(registry: RegistryFile): void {
    mkdirSync(this.directory, { recursive: true });
    const path = join(this.directory, 'registry.json');
    writeFileSync(`${path}.tmp`, `${JSON.stringify(registry, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  list(): { models: RegisteredModel[]; current: string | undefined; history: string[] } {
    const { models, promoted } = this.read();
    return { models, current: promoted.at(-1), history: promoted };
  }

  get(id: string): RegisteredModel {
    const model = this.read().models.find((entry) => entry.id === id);
    if (model === undefined) throw new RegistryError(`no model ${id} in ${this.directory}; fmc models list shows them`);
    return model;
  }

  pathOf(id: string): string {
    return join(this.directory, `${id}.fmcmodel`);
  }

  /** The default model's file: the last promoted; undefined for the shipped one. */
  currentPath(): string | undefined {
    const current = this.read().promoted.at(-1);
    return current === undefined ? undefined : this.pathOf(current);
  }

  async register(model: Model, card: string, entry: Omit<RegisteredModel, 'id' | 'createdAt' | 'classifierId'>): Promise<RegisteredModel> {
    mkdirSync(this.directory, { recursive: true });
    const createdAt = new Date().toISOString();
    const id = `${createdAt.slice(0, 10).replaceAll('-', '')}-${model.header.weightsSha256.slice(0, 8)}`;
    await saveModel(this.pathOf(id), model);
    writeFileSync(join(this.directory, `${id}.md`), card);
    const registered: RegisteredModel = { id, createdAt, classifierId: modelClassifierId(model.header), ...entry };
    const registry = this.read();
    this.write({ ...registry, models: [...registry.models.filter((other) => other.id !== id), registered] });
    return registered;
  }

  promote(id: string): void {
    this.get(id);
    const registry = this.read();
    if (registry.promoted.at(-1) === id) return;
    this.write({ ...registry, promoted: [...registry.promoted, id] });
  }

  /** Back to the default before the last promotion; returns it (undefined: the shipped model). */
  rollback(): string | undefined {
    const registry = this.read();
    if (registry.promoted.length === 0) throw new RegistryError('nothing to roll back: the shipped model is the default');
    const promoted = registry.promoted.slice(0, -1);
    this.write({ ...registry, promoted });
    return promoted.at(-1);
  }
}
