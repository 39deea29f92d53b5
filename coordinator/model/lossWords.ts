import type { DatasetTask } from '../../shared/data/dataset';

/**
 * How the terminal says a loss: for a character model the loss is in nats
 * per character and its perplexity e^loss ("as unsure as a uniform choice
 * among that many characters") is the headline, not next-character accuracy;
 * for other models the loss as it is.
 */
export function lossWords(task: DatasetTask, loss: number | null, name = 'loss'): string {
  if (loss === null || !Number.isFinite(loss)) return `${name} -`;
  if (task === 'sequence') return `${name} ${loss.toFixed(4)} nats/char (perplexity ${Math.exp(loss).toFixed(2)})`;
  return `${name} ${loss.toFixed(4)}`;
}

/** The end-of-run figures: test perplexity first for a character model, test accuracy first otherwise. */
export function finalWords(task: DatasetTask, testLoss: number | null, testAccuracy: number | null): string {
  if (task === 'sequence') {
    const acc = testAccuracy === null ? '' : `, next-character accuracy ${testAccuracy.toFixed(4)}`;
    return `${lossWords(task, testLoss, 'test loss')}${acc}`;
  }
  return `test accuracy ${testAccuracy === null ? '-' : testAccuracy.toFixed(4)}, test loss ${testLoss === null ? '-' : testLoss.toFixed(4)}`;
}
