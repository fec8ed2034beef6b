/** The last lines a child process wrote, to quote in an error when it fails. */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly maxLines = 40) {}

  add(chunk: string): string[] {
    const added = chunk.split('\n').filter((line) => line.trim() !== '');
    this.lines.push(...added);
    this.lines.splice(0, Math.max(0, this.lines.length - this.maxLines));
    return added;
  }

  text(): string {
    return this.lines.length > 0 ? this.lines.join('\n') : '(no output)';
  }
}
