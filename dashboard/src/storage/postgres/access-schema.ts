/**
 * Version 2 of the PostgreSQL layout: the login sessions and the kept secrets (the key that signs session
 * cookies), as in SQLite's `sessions` and `secrets`, so that replicas on several machines can share logins.
 * Times are epoch milliseconds from the dashboard's injected clock, like SQLite's.
 */
export const ACCESS_SCHEMA_V2 = `
CREATE TABLE sessions (
  id         text   PRIMARY KEY,
  username   text   NOT NULL,
  data       jsonb  NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX sessions_username ON sessions (username);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE TABLE secrets (
  name  text PRIMARY KEY,
  value text NOT NULL
);
`;
