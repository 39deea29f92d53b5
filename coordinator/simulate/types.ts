import type { ConfigInput } from '../../shared/config/schema';
import type { Assumptions } from './assumptions';
import type { ClassroomResult } from './classroom';

/** `tabtrain simulate`'s options, parsed (main.ts). */
export interface SimulateOptions {
  laptops: number[];
  modes: string[];
  target: number;
  maxEpochs: number;
  assumptions: Assumptions;
  job: ConfigInput;
  out: string;
  /** Print each validation pass as it happens. */
  verbose: boolean;
  /** The tfjs backend the simulator's trainer core runs on (not a laptop's: virtual time comes from assumptions.ts). */
  backend: 'wasm' | 'cpu';
}

/** One simulated fleet size and mode: what the report and the plots show. */
export interface SimulationRow extends ClassroomResult {
  mode: string;
}
