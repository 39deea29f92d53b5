import type { Config } from '../../shared/config/schema';
import { fail } from '../../shared/errors';

export async function openReports(_files: string[], _config: Config): Promise<number> {
  throw fail('CONFIG_INVALID', 'report: not available yet');
}
