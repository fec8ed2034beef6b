import type { Role } from './roles.js';

/** Who a request is: a logged-in user, an API token, or anonymous (logins off). */
export interface Principal {
  /** The user name, or the token's name. */
  name: string;
  role: Role;
  kind: 'user' | 'token' | 'anonymous';
  /** A generated first password not changed yet: only /api/me, the password change and logout are open. */
  mustChangePassword: boolean;
  /** The login session (kind user). */
  sessionId: string | null;
  /** The API token's id (kind token). */
  tokenId: string | null;
}

/** Everyone, when logins are off. */
export const ANONYMOUS: Principal = Object.freeze({
  name: 'anonymous',
  role: 'admin',
  kind: 'anonymous',
  mustChangePassword: false,
  sessionId: null,
  tokenId: null,
});
