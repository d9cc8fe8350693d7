/** The pipeline's modes, in a module without dependencies: `fmc --help` lists them without loading the pipeline. */
export const MODES = ['fast', 'balanced', 'precise'] as const;
export type Mode = (typeof MODES)[number];
