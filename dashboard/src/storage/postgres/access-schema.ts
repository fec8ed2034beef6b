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

/** Version 3: the users and API tokens, as in SQLite's `users` and `api_tokens` (times in epoch ms). */
export const ACCESS_SCHEMA_V3 = `
CREATE TABLE users (
  username             text     PRIMARY KEY,
  role                 text     NOT NULL,
  password_hash        text     NOT NULL,
  must_change_password smallint NOT NULL DEFAULT 0,
  created_at           bigint   NOT NULL,
  updated_at           bigint   NOT NULL
);
CREATE TABLE api_tokens (
  id           text   PRIMARY KEY,
  name         text   NOT NULL,
  role         text   NOT NULL,
  secret_hash  text   NOT NULL,
  created_by   text   NOT NULL,
  created_at   bigint NOT NULL,
  last_used_at bigint,
  revoked_at   bigint
);
`;
