import type { BenchContext, ItemResult } from './context';
import { accuracyItem } from './items/accuracy';
import { backgroundItem } from './items/background';
import { capacityItem } from './items/capacity';
import { codecsItem } from './items/codecs';
import { localModesCnnItem, localModesItem } from './items/localModes';
import { localRatioItem } from './items/localRatio';
import { modesItem } from './items/modes';
import { optimizerItem } from './items/optimizer';
import { p2pItem } from './items/p2p';
import { scalingItem } from './items/scaling';
import { silentItem } from './items/silent';

/** The bench items, in the order they run. `tabs`: needs Chromium. */
export const ITEMS = {
  scaling: { title: '1-2. Scaling and step anatomy', tabs: true, run: scalingItem },
  codecs: { title: '3. Wire bytes and gradient codecs', tabs: false, run: codecsItem },
  optimizer: { title: '4. Optimizer kernels', tabs: false, run: optimizerItem },
  capacity: { title: '5. Coordinator capacity', tabs: false, run: capacityItem },
  accuracy: { title: '6. Time to accuracy', tabs: true, run: accuracyItem },
  silent: { title: 'A silent tab noticed at once (issue 14)', tabs: true, run: silentItem },
  // Issue 4's demos: in the full run and with --only, not in --quick (minutes of training each).
  background: { title: 'Hidden tabs keep their speed (issue 4)', tabs: true, run: backgroundItem, inQuick: false },
  modes: { title: 'Sync vs async with 4 tabs (issue 4)', tabs: true, run: modesItem, inQuick: false },
  localModes: { title: 'Sync vs async vs local steps (H = 4, 16, 64) with 4 tabs to val acc 0.95, MNIST MLP (issue 11)', tabs: true, run: localModesItem, inQuick: false },
  localModesCnn: { title: 'Sync vs local steps with 4 tabs to val acc 0.97, MNIST CNN (issue 11)', tabs: true, run: localModesCnnItem, inQuick: false },
  localRatio: { title: '1 tab in local mode (H = 16) vs one tab of plain tfjs (issue 11)', tabs: true, run: localRatioItem, inQuick: false },
  p2p: { title: 'Peer-to-peer trees vs the star: coordinator bytes, step time, data channel, a relay closed (issue 12)', tabs: true, run: p2pItem, inQuick: false },
} satisfies Record<string, { title: string; tabs: boolean; run: (c: BenchContext) => Promise<ItemResult>; inQuick?: boolean }>;

export type ItemName = keyof typeof ITEMS;
