/** The alert LED. Without GPIO it is a no-op that logged one line when it was made. */
export interface AlertLed {
  /** Human-readable description for the start-up log, e.g. "BCM 17 (sysfs gpio 529)" or "none". */
  readonly description: string;
  set(on: boolean): Promise<void>;
  close(): Promise<void>;
}
