import type { BenchContext, ItemResult } from './context';
import { capacityItem } from './items/capacity';
import { codecsItem } from './items/codecs';
import { optimizerItem } from './items/optimizer';

/** The bench items, in the order they run. `tabs`: needs Chromium. */
export const ITEMS = {
  codecs: { title: '3. Wire bytes and gradient codecs', tabs: false, run: codecsItem },
  optimizer: { title: '4. Optimizer kernels', tabs: false, run: optimizerItem },
  capacity: { title: '5. Coordinator capacity', tabs: false, run: capacityItem },
} satisfies Record<string, { title: string; tabs: boolean; run: (c: BenchContext) => Promise<ItemResult> }>;

export type ItemName = keyof typeof ITEMS;
