/** The selected device, kept in the URL hash (`#device=ID`) so a link or reload shows the same one. */
export class HashSelection {
  constructor(
    private readonly location: Location,
    private readonly history: History,
  ) {}

  read(): string | null {
    const params = new URLSearchParams(this.location.hash.replace(/^#/, ''));
    const id = params.get('device');
    return id ? id : null;
  }

  /** Writes the choice without adding a history entry for every automatic pick. */
  write(deviceId: string, addEntry: boolean): void {
    const hash = `#device=${encodeURIComponent(deviceId)}`;
    if (this.location.hash === hash) return;
    if (addEntry) this.location.hash = hash;
    else this.history.replaceState(null, '', hash);
  }
}
