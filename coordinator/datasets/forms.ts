import { SYNTHETIC_NAMES } from '../../shared/data/synthetic';

/** Every form `--dataset` takes, for --help and the error on an unknown one (no Node APIs: --help imports it). */
export const DATASET_SPEC_FORMS = ['mnist', ...SYNTHETIC_NAMES, 'idx:DIR', 'csv:FILE', 'iris', 'names', 'text:FILE'] as const;
