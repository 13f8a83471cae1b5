/** dvc/utils/humanize.py: "3 files fetched, 1 file added and 2 files modified". */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] as string}`;
}

export function getSummary(stats: ReadonlyArray<readonly [string, number | readonly unknown[]]>): string {
  const words: string[] = [];
  for (const [state, value] of stats) {
    const num = typeof value === 'number' ? value : value.length;
    if (num) words.push(`${num} file${num > 1 ? 's' : ''} ${state}`);
  }
  return joinWords(words);
}

export const UP_TO_DATE = 'Everything is up to date.';
