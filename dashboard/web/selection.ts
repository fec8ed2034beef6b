/** Which of the page's views the URL hash names: one device (`#device=ID`) or the fleet overview (`#overview`). */
export type PageView = 'device' | 'overview';

/**
 * The page's place, kept in the URL hash so that a link, a bookmark or a reload shows the same: the
 * selected device (`#device=ID`), or the fleet overview and its sort (`#overview`, `#overview&sort=KEY-DIR`).
 */
export class HashSelection {
  constructor(
    private readonly location: Location,
    private readonly history: History,
  ) {}

  read(): string | null {
    const id = this.params().get('device');
    return id ? id : null;
  }

  view(): PageView {
    return this.params().has('overview') ? 'overview' : 'device';
  }

  /** The overview's sort as the URL says it (`sortFromText` reads it), or null. */
  sort(): string | null {
    return this.params().get('sort');
  }

  /** Writes the choice without adding a history entry for every automatic pick. */
  write(deviceId: string, addEntry: boolean): void {
    this.go(`#device=${encodeURIComponent(deviceId)}`, addEntry);
  }

  /** The overview, sorted by `sort` (null: the default order). */
  writeOverview(sort: string | null, addEntry: boolean): void {
    this.go(sort === null ? '#overview' : `#overview&sort=${encodeURIComponent(sort)}`, addEntry);
  }

  private go(hash: string, addEntry: boolean): void {
    if (this.location.hash === hash) return;
    if (addEntry) this.location.hash = hash;
    else this.history.replaceState(null, '', hash);
  }

  private params(): URLSearchParams {
    return new URLSearchParams(this.location.hash.replace(/^#/, ''));
  }
}
