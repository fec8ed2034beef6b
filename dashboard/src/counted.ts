/**
 * A count with its noun in the right number, for log lines and messages: "1 device", "2 devices",
 * "0 devices". The plural is the noun with an "s" unless given.
 */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
