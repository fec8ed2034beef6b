import type { Principal } from '../../access/principal.js';
import type { SessionStore } from '../../access/session-store.js';
import type { Tokens } from '../../access/token-store.js';
import type { Users } from '../../access/user-store.js';
import type { StreamOwner } from '../sse-hub.js';

/**
 * What keeps an event stream open: its login session still there and not expired (logout, a password
 * changed elsewhere, a user removed and expiry all end it), or its API token not revoked.
 */
export function streamOwner(
  principal: Principal,
  deps: { sessions: SessionStore | null; users: Users; tokens: Tokens },
): StreamOwner {
  const { sessionId, tokenId, name } = principal;
  if (principal.kind === 'user' && sessionId !== null && deps.sessions) {
    const sessions = deps.sessions;
    return {
      sessionId,
      stillValid: async () => (await sessions.isLive(sessionId)) && (await deps.users.get(name)) !== null,
    };
  }
  if (principal.kind === 'token' && tokenId !== null) {
    return { sessionId: null, stillValid: async () => (await deps.tokens.get(tokenId))?.revokedAt === null };
  }
  return { sessionId: null, stillValid: () => true };
}
