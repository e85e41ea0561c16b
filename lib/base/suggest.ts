/** "Did you mean …?": the closest of a set of words to a mistyped one, by edit distance. */

/**
 * Edit distance between `a` and `b` where inserting, deleting or replacing a character, or swapping
 * two neighbours, costs 1 (the optimal string alignment distance): `--limti` is one swap from
 * `--limit`, where plain Levenshtein counts two.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate nearest to `word`, or undefined when none is near enough to be a typo: at most a third
 * of the word's length away (at least 1, at most 3), as a guess further off misleads more than it helps.
 * Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= limit && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}
