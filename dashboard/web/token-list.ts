import { h } from './dom.js';
import { fullTime, relativeTime } from './format.js';
import type { TokenSummary } from './types.js';

/**
 * The API tokens as rows: name, role, who made it and when, last use, revoked. "Revoke" asks to confirm in
 * the row itself (keyboard focus moves to the confirmation, and back when it is cancelled).
 */
export class TokenList {
  private tokens: TokenSummary[] = [];
  private confirming: string | null = null;

  constructor(
    private readonly doc: Document,
    private readonly list: HTMLElement,
    private readonly onRevoke: (token: TokenSummary) => void,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
      const token = this.tokens.find((candidate) => candidate.id === button?.dataset.tokenId);
      if (!button || !token) return;
      const action = button.dataset.action;
      if (action === 'ask') this.confirm(token.id, 'confirm');
      else if (action === 'cancel') this.confirm(null, 'ask', token.id);
      else if (action === 'confirm') this.onRevoke(token);
    });
  }

  show(tokens: TokenSummary[]): void {
    this.tokens = tokens;
    if (!tokens.some((token) => token.id === this.confirming)) this.confirming = null;
    this.render();
  }

  private confirm(id: string | null, focus: string, focusId = id): void {
    this.confirming = id;
    this.render();
    this.list
      .querySelector<HTMLElement>(
        `button[data-action="${focus}"][data-token-id="${CSS.escape(focusId ?? '')}"]`,
      )
      ?.focus();
  }

  private render(): void {
    // Active tokens first, newest first within each group.
    const sorted = [...this.tokens].sort(
      (a, b) =>
        Number(a.revoked_at !== null) - Number(b.revoked_at !== null) ||
        Date.parse(b.created_at) - Date.parse(a.created_at),
    );
    this.list.replaceChildren(...sorted.map((token) => this.row(token)));
  }

  private row(token: TokenSummary): HTMLElement {
    const d = this.doc;
    const now = this.now();
    const revoked = token.revoked_at !== null;
    const lastUsed = token.last_used_at ? `last used ${relativeTime(token.last_used_at, now)}` : 'never used';
    const meta = h(
      d,
      'p',
      { class: 'token-meta' },
      h(
        d,
        'span',
        { title: fullTime(token.created_at) },
        `Created by ${token.created_by} ${relativeTime(token.created_at, now)}`,
      ),
      ' · ',
      h(d, 'span', { title: token.last_used_at ? fullTime(token.last_used_at) : '' }, lastUsed),
      revoked ? ` · revoked ${relativeTime(token.revoked_at, now)}` : '',
    );
    const head = h(
      d,
      'div',
      { class: 'token-head' },
      h(d, 'span', { class: 'token-name' }, token.name),
      h(d, 'span', { class: 'role-chip', 'data-role': token.role }, token.role),
      revoked ? h(d, 'span', { class: 'chip chip-muted' }, 'Revoked') : '',
    );
    return h(
      d,
      'li',
      { class: 'token', 'data-token-id': token.id, 'data-revoked': String(revoked) },
      head,
      meta,
      revoked ? '' : this.actions(token),
    );
  }

  private actions(token: TokenSummary): HTMLElement {
    const d = this.doc;
    const button = (action: string, label: string, className: string, ariaLabel?: string) =>
      h(
        d,
        'button',
        {
          type: 'button',
          class: `btn btn-small ${className}`,
          'data-action': action,
          'data-token-id': token.id,
          'aria-label': ariaLabel,
        },
        label,
      );
    if (this.confirming !== token.id) {
      return h(
        d,
        'div',
        { class: 'token-actions' },
        button('ask', 'Revoke', 'btn-danger-ghost', `Revoke token ${token.name}`),
      );
    }
    return h(
      d,
      'div',
      { class: 'token-confirm', role: 'group', 'aria-label': `Confirm revoking ${token.name}` },
      h(d, 'p', {}, `Revoke “${token.name}”? Requests with it are refused at once; this cannot be undone.`),
      button('confirm', 'Revoke token', 'btn-danger'),
      button('cancel', 'Cancel', ''),
    );
  }
}
