import type { Config } from '../../shared/config/schema';
import { fail } from '../../shared/errors';

export async function runCompare(_configs: Config[]): Promise<number> {
  throw fail('CONFIG_INVALID', 'compare: not available yet');
}
