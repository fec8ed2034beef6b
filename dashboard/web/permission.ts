import type { MeResponse, RoleName } from './types.js';

/** What the page lets the user do, and why not, in words shown next to the controls it disables. */
export interface Permission {
  role: RoleName;
  /** Settings, read-now and firmware updates (operator and admin). */
  canCommand: boolean;
  /** API tokens (admin). */
  canManageAccess: boolean;
  /** Why the settings are read-only ('' when they are not). */
  settingsReason: string;
  /** Why the firmware update is read-only ('' when it is not). */
  firmwareReason: string;
}

export function permissionFor(me: MeResponse): Permission {
  const role = me.user.role;
  const canCommand = role === 'operator' || role === 'admin';
  const readOnly = `Read-only: your role is ${role}.`;
  return {
    role,
    canCommand,
    canManageAccess: role === 'admin' && me.auth === 'on',
    settingsReason: canCommand ? '' : `${readOnly} Sending commands needs the operator or admin role.`,
    firmwareReason: canCommand ? '' : `${readOnly} Firmware updates need the operator or admin role.`,
  };
}

/** Shows `reason` in a read-only note (a paragraph with a text span), or hides it. */
export function showReadOnly(note: HTMLElement, reason: string): void {
  note.hidden = reason === '';
  const text = note.querySelector('.readonly-text') ?? note;
  if (text.textContent !== reason) text.textContent = reason;
}
