/** What a user or an API token may do; each role may also do everything of the roles before it. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_ACCEPTED = `one of ${ROLES.join(', ')}`;

/** What each role adds, in words (for refusals and the docs). */
export const ROLE_CAN: Record<Role, string> = {
  viewer: 'see everything',
  operator: 'send commands and firmware updates',
  admin: 'manage users, API tokens and devices',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** 1 to 64 characters: letters, digits, "_", ".", "@" or "-", starting with a letter or digit. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const USERNAME_ACCEPTED =
  '1 to 64 characters: letters, digits, "_", ".", "@" or "-", starting with a letter or digit';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const PASSWORD_ACCEPTED = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters`;
