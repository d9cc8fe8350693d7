/** Local classification: the rules, and the shipped model that reads their firings. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createModelClassifier, loadModel } from './model.js';
import { createRulesClassifier } from './rules.js';

export { isOperatorAccount } from './rules.js';
import type { TweetClassifier } from './types.js';

export type { ClassifierInput, TweetClassifier } from './types.js';

/** `models/default.fmcmodel` of the package (src/classify and dist/classify are both two levels down). */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../models/default.fmcmodel', import.meta.url));

/**
 * The model at `modelPath`, else the shipped default model, else (a checkout
 * without it) the rules alone. A model file that exists but is broken is an error.
 */
export function loadClassifier(modelPath?: string): TweetClassifier {
  const path = modelPath ?? (existsSync(DEFAULT_MODEL_PATH) ? DEFAULT_MODEL_PATH : undefined);
  return path === undefined ? createRulesClassifier() : createModelClassifier(loadModel(path));
}

/** `load` once per path, keeping the last: a long-lived process follows the default model when it changes (fmc models promote). */
export function lastLoaded<T>(load: (path: string | undefined) => T): (path: string | undefined) => T {
  let loaded: { path: string | undefined; value: T } | undefined;
  return (path) => {
    if (loaded === undefined || loaded.path !== path) loaded = { path, value: load(path) };
    return loaded.value;
  };
}
